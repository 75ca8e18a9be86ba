CREATE TABLE `artifacts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`uri` text NOT NULL,
	`kind` text NOT NULL,
	`sha256` text NOT NULL,
	`size` integer NOT NULL,
	`meta_json` text,
	`producer_execution_id` text,
	`created_at` text NOT NULL,
	FOREIGN KEY (`producer_execution_id`) REFERENCES `executions`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `artifacts_uri_unique` ON `artifacts` (`uri`);--> statement-breakpoint
CREATE INDEX `artifacts_sha256_idx` ON `artifacts` (`sha256`);--> statement-breakpoint
CREATE INDEX `artifacts_producer_idx` ON `artifacts` (`producer_execution_id`);--> statement-breakpoint
CREATE TABLE `events` (
	`execution_id` text NOT NULL,
	`artifact_id` integer NOT NULL,
	`direction` text NOT NULL,
	`name` text NOT NULL,
	PRIMARY KEY(`execution_id`, `artifact_id`, `direction`, `name`),
	FOREIGN KEY (`execution_id`) REFERENCES `executions`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`artifact_id`) REFERENCES `artifacts`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "events_direction_check" CHECK("events"."direction" IN ('input', 'output', 'checkpoint'))
);
--> statement-breakpoint
CREATE INDEX `events_artifact_idx` ON `events` (`artifact_id`,`direction`);--> statement-breakpoint
CREATE TABLE `executions` (
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
	CONSTRAINT "executions_state_check" CHECK("executions"."state" IN ('pending', 'running', 'succeeded', 'cached', 'failed', 'skipped', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `executions_run_idx` ON `executions` (`run_id`,`position`);--> statement-breakpoint
CREATE INDEX `executions_cache_key_idx` ON `executions` (`cache_key`,`state`);--> statement-breakpoint
CREATE INDEX `executions_step_idx` ON `executions` (`step_id`);--> statement-breakpoint
CREATE TABLE `metrics` (
	`run_id` text NOT NULL,
	`execution_id` text NOT NULL,
	`key` text NOT NULL,
	`step` integer NOT NULL,
	`value` real,
	`recorded_at` text NOT NULL,
	PRIMARY KEY(`execution_id`, `key`, `step`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`execution_id`) REFERENCES `executions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `metrics_run_idx` ON `metrics` (`run_id`);--> statement-breakpoint
CREATE TABLE `pipelines` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`spec_hash` text NOT NULL,
	`spec_text` text NOT NULL,
	`spec_path` text NOT NULL,
	`created_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `pipelines_spec_hash_unique` ON `pipelines` (`spec_hash`);--> statement-breakpoint
CREATE INDEX `pipelines_name_idx` ON `pipelines` (`name`);--> statement-breakpoint
CREATE TABLE `run_params` (
	`run_id` text NOT NULL,
	`key` text NOT NULL,
	`value` text NOT NULL,
	`type` text NOT NULL,
	PRIMARY KEY(`run_id`, `key`),
	FOREIGN KEY (`run_id`) REFERENCES `runs`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `runs` (
	`id` text PRIMARY KEY NOT NULL,
	`pipeline_id` integer NOT NULL,
	`status` text NOT NULL,
	`params_json` text NOT NULL,
	`plan_json` text NOT NULL,
	`plan_hash` text NOT NULL,
	`resumed_from` text,
	`git_commit` text,
	`workflow_id` text NOT NULL,
	`started_at` text NOT NULL,
	`finished_at` text,
	`error` text,
	FOREIGN KEY (`pipeline_id`) REFERENCES `pipelines`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "runs_status_check" CHECK("runs"."status" IN ('running', 'succeeded', 'failed', 'cancelled'))
);
--> statement-breakpoint
CREATE INDEX `runs_started_at_idx` ON `runs` (`started_at`);--> statement-breakpoint
CREATE INDEX `runs_pipeline_idx` ON `runs` (`pipeline_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `runs_resumed_from_idx` ON `runs` (`resumed_from`);