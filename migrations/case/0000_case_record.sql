CREATE TABLE `case_state` (
	`id` integer PRIMARY KEY NOT NULL,
	`schema_version` integer NOT NULL,
	`sequence_floor` integer DEFAULT 0 NOT NULL,
	`version_floor` text DEFAULT '{}' NOT NULL,
	`last_forwarded` text,
	`terminal_floor` integer DEFAULT false NOT NULL,
	`outbox` text DEFAULT '[]' NOT NULL,
	`outbox_failures` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE TABLE `receipts` (
	`n` integer PRIMARY KEY NOT NULL,
	`id` text NOT NULL,
	`kind` text NOT NULL,
	`dedupe_key` text NOT NULL,
	`provider_event_id` text,
	`provider_event_type` text NOT NULL,
	`subject` text NOT NULL,
	`version` text,
	`received_at` integer NOT NULL,
	`outcome` text NOT NULL,
	`reason` text,
	`detail` text,
	`tries` integer DEFAULT 0 NOT NULL,
	`duplicate_count` integer DEFAULT 0 NOT NULL,
	`duplicates` text DEFAULT '[]' NOT NULL,
	`closes_case` integer DEFAULT false NOT NULL,
	`event_id` text,
	`sequence` integer,
	`type` text,
	`status` text,
	`fingerprint` text,
	`group_id` text,
	`envelope` text,
	`deliveries` text DEFAULT '[]' NOT NULL,
	`body_sha256` text,
	`body` text
);
