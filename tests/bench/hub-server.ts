/**
 * The hub as the benchmark starts it: exactly `npm start` (src/main.ts, which starts on import),
 * under a command line of its own, so that a `pkill -f src/main.ts` meant for someone else's
 * dev server on this shared machine does not end a measurement.
 */
import '../../src/main.ts';
