-- The events index in a database of its own (INDEX_DATABASES, src/db/index-shards.ts): the same
-- table as the control plane's database has (migrations/0007_index_without_rowid.sql), nothing else.
-- Apply with `wrangler d1 migrations apply <binding>` for a [[d1_databases]] entry whose
-- migrations_dir is migrations/index. test/db/schema.test.ts checks that both tables are the same.
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
