CREATE TABLE `cases` (
	`source_id` text NOT NULL,
	`case_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`status` text NOT NULL,
	`terminal` integer NOT NULL,
	`check_after` integer NOT NULL,
	`reconcile_failures` integer DEFAULT 0 NOT NULL,
	`reconcile_error` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`source_id`, `case_id`)
);
--> statement-breakpoint
CREATE INDEX `cases_open_check_after` ON `cases` (`check_after`) WHERE terminal = 0;--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`source_id` text NOT NULL,
	`case_id` text NOT NULL,
	`event_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`status` text NOT NULL,
	`replay` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `deliveries_endpoint_status` ON `deliveries` (`endpoint_id`,`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `endpoint_hours` (
	`endpoint_id` text NOT NULL,
	`hour` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`endpoint_id`, `hour`)
);
--> statement-breakpoint
CREATE TABLE `events` (
	`customer_id` text NOT NULL,
	`id` text NOT NULL,
	`source_id` text NOT NULL,
	`case_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	PRIMARY KEY(`customer_id`, `id`)
);
--> statement-breakpoint
CREATE TABLE `failed_receipts` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`source_id` text NOT NULL,
	`case_id` text NOT NULL,
	`reason` text NOT NULL,
	`detail` text NOT NULL,
	`failed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `source_days` (
	`source_id` text NOT NULL,
	`day` integer NOT NULL,
	`receipts` integer DEFAULT 0 NOT NULL,
	`duplicates` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`source_id`, `day`)
);
