/** The edge's view of a GPU runtime: one compact request in, the contract's events out. */
import type { RuntimeGenerateRequestInput } from "../../shared/contract/generate-request.ts";
import type { RuntimeEvent } from "../../shared/contract/runtime-events.ts";

export interface RuntimeClient {
  /**
   * Resolves once the runtime has accepted the request (a 2xx event stream) with its events;
   * rejects with RuntimeCallError when it refused or could not be reached. Aborting `signal`
   * closes the connection, which the runtime takes as a cancellation.
   */
  generate(request: RuntimeGenerateRequestInput, signal: AbortSignal): Promise<AsyncIterable<RuntimeEvent>>;
}
