-- Custom migration (drizzle-kit generate --custom): drizzle cannot declare WITHOUT ROWID.
-- A new case is one row written instead of two (a composite primary key on a rowid table is a
-- second b-tree). test/db/schema.test.ts checks that these columns still match src/db/schema.
CREATE TABLE `cases_new` (
	`source_id` text NOT NULL,
	`case_id` text NOT NULL,
	`customer_id` text NOT NULL,
	`terminal` integer NOT NULL,
	`last_sequence` integer DEFAULT 0 NOT NULL,
	`check_after` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`source_id`, `case_id`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `cases_new` (`source_id`, `case_id`, `customer_id`, `terminal`, `last_sequence`, `check_after`, `created_at`, `updated_at`)
	SELECT `source_id`, `case_id`, `customer_id`, `terminal`, `last_sequence`, `check_after`, `created_at`, `updated_at` FROM `cases`;
--> statement-breakpoint
DROP TABLE `cases`;
--> statement-breakpoint
ALTER TABLE `cases_new` RENAME TO `cases`;
--> statement-breakpoint
CREATE INDEX `cases_open_check_after` ON `cases` (`check_after`) WHERE terminal = 0;
