-- The case's status lives in its object; D1 keeps only whether the case is open (for the reconcile
-- cron), so a status change no longer writes a D1 row.
ALTER TABLE `cases` DROP COLUMN `status`;
