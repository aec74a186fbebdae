-- Custom migration (drizzle-kit generate --custom): drizzle cannot declare WITHOUT ROWID.
-- events (one row per event), cases (one per case), source_days and endpoint_hours (one per queue
-- batch) as WITHOUT ROWID tables: their primary key is their only b-tree, so an insert costs one
-- row written instead of two. The tables were created just before by 0006 and are empty.
-- test/db/schema.test.ts checks that these columns still match src/db/schema.
DROP TABLE `events`;
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
) WITHOUT ROWID;
--> statement-breakpoint
DROP TABLE `cases`;
--> statement-breakpoint
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
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `cases_open_check_after` ON `cases` (`check_after`) WHERE terminal = 0;
--> statement-breakpoint
DROP TABLE `source_days`;
--> statement-breakpoint
CREATE TABLE `source_days` (
	`source_id` text NOT NULL,
	`day` integer NOT NULL,
	`receipts` integer DEFAULT 0 NOT NULL,
	`duplicates` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`source_id`, `day`)
) WITHOUT ROWID;
--> statement-breakpoint
DROP TABLE `endpoint_hours`;
--> statement-breakpoint
CREATE TABLE `endpoint_hours` (
	`endpoint_id` text NOT NULL,
	`hour` integer NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`endpoint_id`, `hour`)
) WITHOUT ROWID;
