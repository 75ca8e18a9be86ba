CREATE TABLE `rung_decisions` (
	`run_id` text NOT NULL,
	`execution_id` text NOT NULL,
	`rung` integer NOT NULL,
	`metric` text NOT NULL,
	`value` real,
	`rank` integer NOT NULL,
	`of` integer NOT NULL,
	`decision` text NOT NULL,
	`reason` text NOT NULL,
	`decided_at` text NOT NULL,
	PRIMARY KEY(`execution_id`, `rung`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`execution_id`) REFERENCES `executions`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "rung_decisions_decision_check" CHECK("rung_decisions"."decision" IN ('promoted', 'stopped'))
);
--> statement-breakpoint
CREATE INDEX `rung_decisions_run_idx` ON `rung_decisions` (`run_id`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_executions` (
	`id` text PRIMARY KEY NOT NULL,
	`run_id` text NOT NULL,
	`step_id` text NOT NULL,
	`spec_step_id` text NOT NULL,
	`position` integer NOT NULL,
	`kind` text NOT NULL,
	`kind_version` text NOT NULL,
	`state` text NOT NULL,
	`attempt` integer DEFAULT 0 NOT NULL,
	`cache_key` text,
	`cache_components_json` text,
	`cached_from` text,
	`worker` text,
	`started_at` text,
	`finished_at` text,
	`last_heartbeat_at` text,
	`progress_json` text,
	`error` text,
	`matrix_json` text,
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`cached_from`) REFERENCES `executions`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "executions_state_check" CHECK("__new_executions"."state" IN ('pending', 'running', 'succeeded', 'cached', 'failed', 'skipped', 'cancelled', 'stopped'))
);
--> statement-breakpoint
INSERT INTO `__new_executions`("id", "run_id", "step_id", "spec_step_id", "position", "kind", "kind_version", "state", "attempt", "cache_key", "cache_components_json", "cached_from", "worker", "started_at", "finished_at", "last_heartbeat_at", "progress_json", "error", "matrix_json") SELECT "id", "run_id", "step_id", "spec_step_id", "position", "kind", "kind_version", "state", "attempt", "cache_key", "cache_components_json", "cached_from", "worker", "started_at", "finished_at", "last_heartbeat_at", "progress_json", "error", "matrix_json" FROM `executions`;--> statement-breakpoint
DROP TABLE `executions`;--> statement-breakpoint
ALTER TABLE `__new_executions` RENAME TO `executions`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `executions_run_idx` ON `executions` (`run_id`,`position`);--> statement-breakpoint
CREATE INDEX `executions_cache_key_idx` ON `executions` (`cache_key`,`state`);--> statement-breakpoint
CREATE INDEX `executions_step_idx` ON `executions` (`step_id`);