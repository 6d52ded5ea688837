import type { ResourceRecorder } from "../../helpers/pulumi-mocks.js";

/**
 * Waits until the mocked engine has stopped receiving registrations: children register
 * asynchronously once their inputs resolve, and not every child feeds an output a test can await.
 */
export async function settle(recorder: ResourceRecorder, quietTicks = 5): Promise<void> {
  let seen = -1;
  let quiet = 0;
  while (quiet < quietTicks) {
    await new Promise((resolve) => setTimeout(resolve, 2));
    if (recorder.resources.length === seen) quiet += 1;
    else {
      seen = recorder.resources.length;
      quiet = 0;
    }
  }
}
