/**
 * The real server's production entry (dist/server.js, compiled by `npm run build:server`), started through
 * this one-line file only so that its command line does not read `server.js`: other people's `pkill -f`
 * on a shared machine must not stop the server in the middle of a measurement (it happened).
 */
import '../../../dist/server.js';
