DROP TABLE `cases`;--> statement-breakpoint
DROP TABLE `deliveries`;--> statement-breakpoint
DROP TABLE `events`;--> statement-breakpoint
DROP TABLE `receipts`;--> statement-breakpoint
DROP TABLE `spooled_bodies`;