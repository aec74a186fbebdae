CREATE TABLE `endpoint_tests` (
	`id` text PRIMARY KEY NOT NULL,
	`endpoint_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`at` integer NOT NULL,
	`status_code` integer,
	`duration_ms` integer NOT NULL,
	`response_excerpt` text,
	`error_kind` text,
	`flagged` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX `endpoint_tests_endpoint` ON `endpoint_tests` (`endpoint_id`,`id`);--> statement-breakpoint
ALTER TABLE `endpoints` ADD `signature_schemes` text DEFAULT '["v1"]' NOT NULL;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `signing_key_enc` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `public_key` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `previous_signing_key_enc` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `previous_public_key` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `previous_signing_key_expires_at` integer;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `rate_limit` text;--> statement-breakpoint
ALTER TABLE `endpoints` ADD `throttled_until` integer;