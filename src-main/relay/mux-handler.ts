// The relay's side of a tcp_mux data connection (docs/protocol.md "Multiplexed data streams"):
// answers mux_open, then runs each OPEN through the same checks and dial as a classic data
// connection (data-stream.ts) and carries the admitted stream, to its target or spliced to a
// published server (server-streams.ts). Owns no policy of its own.

import type { Socket } from 'node:net';
import { CodecError, parseLine } from '../protocol/codec';
import { MAX_FRAME_PAYLOAD } from '../protocol/mux-frames';
import { MuxConnection, type MuxStream } from '../protocol/mux-connection';
import { errorMessage, sendLine, type RelayContext, type WireError } from './context';
import { admitStream, logRefusal, serverCarry, streamOpened } from './data-stream';
import { LIMIT_LABELS } from './relay-limits';
import { carryMuxToServer } from './server-streams';
import { SendWatch } from './stream-budget';

export interface MuxLimits {
  readonly window: number;
  readonly maxStreams: number;
}

export function handleMuxConnection(
  ctx: RelayContext,
  socket: Socket,
  rest: Buffer,
  remoteAddress: string,
  limits: MuxLimits,
): void {
  const openedAt = ctx.clock.now();
  let streams = 0;
  sendLine(socket, {
    type: 'mux_response',
    status: 'ok',
    max_streams: limits.maxStreams,
    window: limits.window,
    max_frame: MAX_FRAME_PAYLOAD,
  });
  ctx.log.log('info', 'mux_opened', { remote: remoteAddress });
  new MuxConnection({
    socket,
    role: 'relay',
    initial: rest,
    window: limits.window,
    maxStreams: limits.maxStreams,
    // A peer that leaves its answers unread stops being read (docs/protocol.md#limits).
    controlOutputLimit: ctx.limits.muxControlOutputBytes,
    outputStallMs: ctx.limits.muxOutputStallMs,
    clock: ctx.clock,
    onOutputPaused: () => ctx.hit(LIMIT_LABELS.muxControlOutputBytes),
    onOpen(stream, payload) {
      streams += 1;
      openStream(ctx, stream, payload, remoteAddress).catch((error: unknown) => {
        ctx.log.log('error', 'stream_internal_error', { error });
        stream.reset();
      });
    },
    onClosed(error) {
      // A malformed frame or a broken connection: one clear record, never a crash.
      const protocolError = error !== null && error.startsWith('protocol_error');
      if (error?.includes('output_overflow') === true) ctx.hit(LIMIT_LABELS.muxOutputStallMs);
      ctx.log.log(
        protocolError ? 'warn' : 'info',
        protocolError ? 'mux_protocol_error' : 'mux_closed',
        {
          remote: remoteAddress,
          streams,
          duration_ms: ctx.clock.now() - openedAt,
          error,
        },
      );
    },
  });
}

async function openStream(
  ctx: RelayContext,
  stream: MuxStream,
  payload: Buffer,
  remoteAddress: string,
): Promise<void> {
  const refuse = (tunnelId: string | null, error: WireError, result: string): void => {
    logRefusal(ctx, remoteAddress, tunnelId, error, result);
    ctx.metrics.errorsTotal.inc({ code: error.code });
    stream.refuse(errorMessage(error));
  };
  let first;
  try {
    first = parseLine(payload);
  } catch (error) {
    if (!(error instanceof CodecError)) throw error;
    refuse(
      null,
      {
        code: 'unknown_message_type',
        message: 'OPEN payload is not a JSON object',
        details: { reason: error.reason },
      },
      'invalid',
    );
    return;
  }
  // A client RST (or the connection dying) while the relay dials aborts the dial.
  const abort = new AbortController();
  stream.onEnd = () => abort.abort();
  const admission = await admitStream(
    ctx,
    { ...first, type: 'stream_open' },
    abort.signal,
    remoteAddress,
  );
  if (!admission.ok) {
    if (admission.error !== null && !stream.isEnded)
      refuse(admission.tunnelId, admission.error, admission.result);
    return;
  }
  if (admission.kind === 'server') {
    stream.onEnd = null;
    if (stream.isEnded) {
      // The consumer reset it while it was admitted: the OPEN towards the server is withdrawn.
      admission.opening.stream.reset();
      admission.opening.answered();
      admission.opening.release();
      admission.release();
      return;
    }
    const carry = serverCarry(ctx, remoteAddress, admission, () => null);
    carryMuxToServer(ctx, stream, admission.opening, {
      ...carry,
      refused(error, result) {
        ctx.metrics.errorsTotal.inc({ code: error.code });
        carry.refused(error, result);
      },
    });
    return;
  }
  const target = admission.target;
  if (stream.isEnded) {
    target.destroy();
    admission.release();
    return;
  }
  const toTarget = new SendWatch(target, ctx.budget, ctx.clock);
  const hooks = streamOpened(ctx, remoteAddress, admission, {
    isHalfClosed: () => target.writableEnded || target.readableEnded,
    close: () => stream.reset(),
    // A target that stops reading leaves its queue, the kernel's share and the credit the
    // client may still use on the relay (docs/protocol.md#limits).
    heldBytes: () => toTarget.held() + (toTarget.isBackedUp ? stream.receiveCredit : 0),
    resumeHeld: () => stream.resumeCredit(),
    measure: (queues) => toTarget.measure(queues),
  });
  stream.holdCredit = () => ctx.budget.shouldHold(admission.slot);
  stream.onBytes = (direction, bytes) => {
    if (direction === 'from_peer') toTarget.wrote();
    hooks.onBytes(direction === 'from_peer' ? 'to_target' : 'to_client', bytes);
  };
  stream.onEnd = (end) => {
    // The target may still be open (RST from the client, mux connection lost): it goes too.
    if (!target.destroyed) target.destroy();
    hooks.onClosed({ reset: end.reset, error: end.error });
  };
  // Bytes the client pipelined go to the target first: OPEN_OK is not on that path.
  stream.attach(target);
  stream.accept();
}
