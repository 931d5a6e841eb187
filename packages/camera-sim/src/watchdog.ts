import { Worker } from 'node:worker_threads';

/**
 * Ends this process (SIGKILL) when its event loop has not turned for `stallMs`, so that whatever supervises
 * it (npm start, systemd, Kubernetes) starts it afresh. A camera's loop was seen stuck for good after
 * livekit-server restarted — rtc-node said "reconnecting", then nothing: not even a 10-s timer fired, no
 * frame went out — most likely a synchronous native call waiting on its engine; only another thread can
 * notice that. The watcher is a worker thread reading a heartbeat the loop writes every second.
 */
export function startWatchdog(options: { stallMs: number; name: string }): () => void {
  const heartbeat = new Float64Array(new SharedArrayBuffer(8));
  heartbeat[0] = Date.now();
  const beat = setInterval(() => {
    heartbeat[0] = Date.now();
  }, 1000);
  beat.unref();
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const { writeSync } = require('node:fs');
     const heartbeat = new Float64Array(workerData.buffer);
     setInterval(() => {
       const stalledMs = Date.now() - heartbeat[0];
       if (stalledMs < workerData.stallMs) return;
       writeSync(2, JSON.stringify({ level: 50, time: Date.now(), pid: process.pid, name: workerData.name,
         stalledMs, msg: 'event loop stuck: exiting so that the camera is started afresh' }) + '\\n');
       process.kill(process.pid, 'SIGKILL');
     }, 1000);`,
    {
      eval: true,
      execArgv: [], // a CommonJS script, whatever flags (--input-type=module) this process has
      workerData: { buffer: heartbeat.buffer, stallMs: options.stallMs, name: options.name },
    },
  );
  worker.unref();
  return () => {
    clearInterval(beat);
    void worker.terminate();
  };
}
