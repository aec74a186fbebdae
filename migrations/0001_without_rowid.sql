-- Custom migration (drizzle-kit generate --custom): drizzle cannot declare WITHOUT ROWID.
-- receipts and events are written once per relayed event; as WITHOUT ROWID tables their
-- primary key is their only b-tree, so an insert costs one row written instead of two.
-- test/db/schema.test.ts checks that these columns still match src/db/schema.
DROP TABLE `receipts`;
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
) WITHOUT ROWID;
--> statement-breakpoint
DROP TABLE `events`;
--> statement-breakpoint
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
) WITHOUT ROWID;
