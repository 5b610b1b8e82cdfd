/** How long a test waits for something that must happen before it fails. */
export const TEST_TIMEOUT_MS = 30_000;
/** How long a test waits to be sure something does not happen. */
export const TEST_SHORT_TIMEOUT_MS = 300;
