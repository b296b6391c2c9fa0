#!/usr/bin/env node
// Runs the test suites the way CI does and prints the closing `N passed, N failed, N skipped`
// line. Tests that need the OS keychain get a real Secret Service: outside a D-Bus session
// this script re-runs itself under `dbus-run-session` and starts a throwaway gnome-keyring.
//
//   node scripts/run-tests.mjs              every project (unit, integration, renderer, e2e)
//   node scripts/run-tests.mjs --only e2e   one project
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const onlyIndex = args.indexOf('--only');
const only = onlyIndex >= 0 ? args[onlyIndex + 1] : undefined;

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

// 1. A private D-Bus session bus, so the keyring is ours and goes away with the run.
if (!process.env.CLOUDBRIDGE_TEST_BUS && has('dbus-run-session')) {
  const child = spawn('dbus-run-session', ['--', process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, CLOUDBRIDGE_TEST_BUS: '1' },
  });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await main();
}

/** Starts gnome-keyring-daemon with a new, unlocked login keyring in a temp data dir. */
function startKeyring() {
  if (!process.env.DBUS_SESSION_BUS_ADDRESS || !has('gnome-keyring-daemon')) {
    console.log('run-tests: no D-Bus session or gnome-keyring-daemon; keychain tests will say so');
    return undefined;
  }
  const dataHome = mkdtempSync(join(tmpdir(), 'cloudbridge-keyring-'));
  mkdirSync(join(dataHome, 'keyrings'), { recursive: true });
  process.env.XDG_DATA_HOME = dataHome;
  const result = spawnSync('gnome-keyring-daemon', ['--unlock', '--components=secrets'], {
    input: 'cloudbridge-test-keyring',
    env: process.env,
    encoding: 'utf8',
    timeout: 15_000,
  });
  for (const line of (result.stdout ?? '').split('\n')) {
    const match = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] && match[2] !== undefined) process.env[match[1]] = match[2];
  }
  if (result.status !== 0) {
    console.log(`run-tests: gnome-keyring-daemon failed (${result.status}): ${result.stderr}`);
    return dataHome;
  }
  process.env.CLOUDBRIDGE_TEST_KEYRING = '1';
  return dataHome;
}

async function main() {
  const dataHome = startKeyring();
  const reportDir = '.vitest-reports';
  mkdirSync(reportDir, { recursive: true });
  const report = join(reportDir, `${only ?? 'all'}.json`);
  rmSync(report, { force: true });

  if (!existsSync('dist/renderer/index.html') || !existsSync('dist/cli/cloudbridge.js')) {
    const built = spawnSync('npm', ['run', 'build', '--silent'], { stdio: 'inherit' });
    if (built.status !== 0) {
      console.log('0 passed, 1 failed');
      process.exit(1);
    }
  }

  const vitestArgs = [
    'vitest',
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${report}`,
  ];
  // The electron project needs a packaged app and a display: `npm run test:electron`.
  const projects = only ? [only] : ['unit', 'integration', 'renderer', 'e2e'];
  for (const project of projects) vitestArgs.push('--project', project);
  const run = spawnSync('npx', vitestArgs, { stdio: 'inherit', env: process.env });

  if (dataHome) {
    spawnSync('pkill', ['-f', 'gnome-keyring-daemon --unlock --components=secrets'], {
      stdio: 'ignore',
    });
    rmSync(dataHome, { recursive: true, force: true });
  }

  let passed = 0;
  let failed = 1;
  let skipped = 0;
  if (existsSync(report)) {
    const summary = JSON.parse(readFileSync(report, 'utf8'));
    passed = summary.numPassedTests ?? 0;
    // A file that fails to load (or fails in a hook) has no failed test of its own: count
    // each such file once. ("Suites" in this report are describe blocks, not files.)
    const brokenFiles = (summary.testResults ?? []).filter(
      (file) =>
        file.status === 'failed' &&
        !(file.assertionResults ?? []).some((t) => t.status === 'failed'),
    ).length;
    failed = (summary.numFailedTests ?? 0) + brokenFiles;
    skipped = (summary.numPendingTests ?? 0) + (summary.numTodoTests ?? 0);
  }
  if (run.status !== 0 && failed === 0) failed = 1;
  console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
  process.exit(failed > 0 ? 1 : 0);
}
