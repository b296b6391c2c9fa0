// A download/upload pair as one value. Display only.
/** "↓ 1 MiB/s · ↑ 2 KiB/s", each half kept on one line when the tile wraps. */
export function InOut({ down, up }: { readonly down: string; readonly up: string }) {
  return (
    <>
      <span className="nowrap">↓ {down}</span> · <span className="nowrap">↑ {up}</span>
    </>
  );
}
