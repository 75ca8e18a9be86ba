// The tfjs backend the model tests run on: wasm unless MMADA_TEST_BACKEND says otherwise
// (scripts/test-backends.sh also runs them on the native TensorFlow backend).
import type { BackendChoice } from "../../model/backend.ts";

export const TEST_BACKEND = (process.env.MMADA_TEST_BACKEND ?? "wasm") as BackendChoice;
