CREATE TABLE `alert_endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text,
	`url` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`kinds` text,
	`secret_enc` text NOT NULL,
	`last_success_at` integer,
	`last_failure_at` integer,
	`last_failure` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `alert_endpoints_customer` ON `alert_endpoints` (`customer_id`,`id`);--> statement-breakpoint
CREATE TABLE `issues` (
	`id` text PRIMARY KEY NOT NULL,
	`open_key` text,
	`kind` text NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`status` text NOT NULL,
	`count` integer NOT NULL,
	`threshold` integer NOT NULL,
	`escalate_at` integer NOT NULL,
	`first_seen_at` integer NOT NULL,
	`last_seen_at` integer NOT NULL,
	`detail` text DEFAULT '' NOT NULL,
	`ref` text,
	`acknowledged_at` integer,
	`resolved_at` integer,
	`resolved_by` text,
	`resolution` text,
	`revision` integer DEFAULT 0 NOT NULL,
	`revised_at` integer NOT NULL,
	`notified_revision` integer DEFAULT 0 NOT NULL,
	`notified_at` integer,
	`plan_at` integer,
	`planning_until` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `issues_open_key_unique` ON `issues` (`open_key`);--> statement-breakpoint
CREATE INDEX `issues_customer` ON `issues` (`customer_id`,`id`);--> statement-breakpoint
CREATE INDEX `issues_status` ON `issues` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `issues_subject` ON `issues` (`subject_id`);