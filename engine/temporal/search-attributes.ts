// Runs are findable in Temporal by pipeline and run id:
//   temporal workflow list --query "MmadaPipeline='diamond'"
//   temporal workflow list --query "MmadaRunId='diamond-20261201-...'"
// The embedded dev server is started with both attributes registered; on another server they are
// registered on first use when we may (a cluster may refuse: then runs start without them).
import { defineSearchAttributeKey, type SearchAttributePair } from "@temporalio/common";
import type { Client } from "@temporalio/client";

const PIPELINE = defineSearchAttributeKey("MmadaPipeline", "KEYWORD");
const RUN_ID = defineSearchAttributeKey("MmadaRunId", "KEYWORD");
/** temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD */
const INDEXED_VALUE_TYPE_KEYWORD = 2;

/** `temporal server start-dev` flags that register the attributes. */
export const DEV_SERVER_SEARCH_ATTRIBUTES = ["--search-attribute", "MmadaPipeline=Keyword", "--search-attribute", "MmadaRunId=Keyword"];

export function runSearchAttributes(pipeline: string, runId: string): SearchAttributePair[] {
  return [
    { key: PIPELINE, value: pipeline },
    { key: RUN_ID, value: runId },
  ];
}

let available: Promise<boolean> | undefined;

/** True when the namespace has both attributes (registering them if missing and allowed). */
export function ensureSearchAttributes(client: Client): Promise<boolean> {
  available ??= (async () => {
    const operator = client.connection.operatorService;
    try {
      const { customAttributes } = await operator.listSearchAttributes({ namespace: client.options.namespace });
      const missing = [PIPELINE, RUN_ID].filter((k) => !(k.name in (customAttributes ?? {})));
      if (missing.length === 0) return true;
      await operator.addSearchAttributes({
        namespace: client.options.namespace,
        searchAttributes: Object.fromEntries(missing.map((k) => [k.name, INDEXED_VALUE_TYPE_KEYWORD])),
      });
      return true;
    } catch {
      return false;
    }
  })();
  return available;
}
