// `mmada report <run-id>...`: writes each run's HTML report into <workspace>/reports/.
import { writeRunReport } from "../../ui/export-run.ts";
import { fetchRunFiles, withDbAsync, withStore } from "../context.ts";
import { CliError, parse, requirePositional } from "../terminal.ts";

export async function reportCommand(argv: string[]): Promise<number> {
  const usage = "<run-id>... [--json]";
  const { values, positionals } = parse("report", argv, { json: { type: "boolean" } }, usage);
  requirePositional(positionals, 1, "report", usage);
  const files = await withStore((store) =>
    withDbAsync(async (db, ws) => {
      await fetchRunFiles(store, db, positionals);
      return positionals.map((id) => {
        const file = writeRunReport(db, ws.root, id);
        if (!file) throw new CliError(`unknown run '${id}'; \`mmada runs\` lists the runs`);
        return { runId: id, report: file };
      });
    }),
  );
  if (values.json) process.stdout.write(`${JSON.stringify(files, null, 2)}\n`);
  else for (const f of files) process.stdout.write(`${f.report}\n`);
  return 0;
}
