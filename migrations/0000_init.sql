CREATE TABLE `cases` (
	`source_id` text NOT NULL,
	`case_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`terminal` integer NOT NULL,
	`check_after` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`source_id`, `case_id`)
);
--> statement-breakpoint
CREATE INDEX `cases_open_check_after` ON `cases` (`check_after`) WHERE terminal = 0;--> statement-breakpoint
CREATE TABLE `customers` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`api_key_hash` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `customers_api_key_hash` ON `customers` (`api_key_hash`);--> statement-breakpoint
CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`event_id` text NOT NULL,
	`endpoint_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`source_id` text NOT NULL,
	`case_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`status` text NOT NULL,
	`replay` integer DEFAULT false NOT NULL,
	`attempts` text DEFAULT '[]' NOT NULL,
	`retry_base` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `deliveries_endpoint_status` ON `deliveries` (`endpoint_id`,`status`,`created_at`);--> statement-breakpoint
CREATE INDEX `deliveries_case` ON `deliveries` (`source_id`,`case_id`);--> statement-breakpoint
CREATE TABLE `endpoints` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`url` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`filter` text NOT NULL,
	`status` text NOT NULL,
	`disabled_reason` text,
	`secret_enc` text NOT NULL,
	`previous_secret_enc` text,
	`previous_secret_expires_at` integer,
	`failing_since` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `endpoints_customer` ON `endpoints` (`customer_id`,`id`);--> statement-breakpoint
CREATE TABLE `events` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`source_id` text NOT NULL,
	`case_id` text NOT NULL,
	`sequence` integer NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`group_id` text,
	`receipt_id` text NOT NULL,
	`payload` text NOT NULL,
	`deliveries` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `receipts` (
	`source_id` text NOT NULL,
	`case_id` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`id` text NOT NULL,
	`customer_id` text NOT NULL,
	`kind` text NOT NULL,
	`provider_event_id` text,
	`event_type` text,
	`subject` text NOT NULL,
	`version` text,
	`received_at` integer NOT NULL,
	`body_sha256` text,
	`body` text,
	`outcome` text,
	`detail` text,
	`duplicate_count` integer DEFAULT 0 NOT NULL,
	`duplicates` text DEFAULT '[]' NOT NULL,
	PRIMARY KEY(`source_id`, `case_id`, `dedupe_key`)
);
--> statement-breakpoint
CREATE TABLE `sources` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`provider` text NOT NULL,
	`name` text NOT NULL,
	`config_enc` text NOT NULL,
	`reconcile_after_seconds` integer NOT NULL,
	`silence_after_seconds` integer NOT NULL,
	`token_cache_enc` text,
	`last_receipt_at` integer,
	`silent_since` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sources_customer` ON `sources` (`customer_id`,`id`);--> statement-breakpoint
CREATE TABLE `spooled_bodies` (
	`receipt_id` text PRIMARY KEY NOT NULL,
	`body` text NOT NULL,
	`created_at` integer NOT NULL
);
