// drizzle-kit config for the run database: `npm run db:generate` turns runs/schema.ts into a new SQL
// migration under runs/migrations, which openRunDb (runs/db.ts) applies when it opens a database file.
import { defineConfig } from "drizzle-kit";

export default defineConfig({
  dialect: "sqlite",
  schema: "./runs/schema.ts",
  out: "./runs/migrations",
});
