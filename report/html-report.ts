// The HTML report of a run, written at the end of every `mmada run` and by `mmada report`: the run
// page of the web UI exported to one offline file (ui/export-run.ts).
export { renderRunReport, writeRunReport } from "../ui/export-run.ts";
