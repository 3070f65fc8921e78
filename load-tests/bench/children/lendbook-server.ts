/**
 * The real server's entry (src/server.ts) run through tsx, for BENCH_SERVER_TSX=1 (the bench otherwise runs
 * the compiled dist/server.js through lendbook-server.js, as production does). Started through this
 * one-line file only so that its command line does not read `src/server.ts`: other people's
 * `pkill -f src/server.ts` on a shared machine must not stop the server in the middle of a measurement
 * (it happened). Nothing else differs.
 */
import '../../../src/server.js';
