CREATE TABLE "autobid_log" (
	"id" text PRIMARY KEY NOT NULL,
	"lender_id" text NOT NULL,
	"listing_id" text NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"outcome" text NOT NULL,
	"trigger" text NOT NULL,
	"bid_id" text,
	"code" text,
	"amount_minor" bigint,
	"rate_bps" integer,
	CONSTRAINT "autobid_log_outcome" CHECK (("autobid_log"."outcome" = 'placed') = ("autobid_log"."bid_id" is not null) and ("autobid_log"."outcome" = 'skipped') = ("autobid_log"."code" is not null))
);
--> statement-breakpoint
CREATE TABLE "autobid_passes" (
	"listing_id" text PRIMARY KEY NOT NULL,
	"at" timestamp (3) with time zone NOT NULL,
	"matched" integer NOT NULL,
	"placed" integer NOT NULL,
	"placed_minor" bigint NOT NULL
);
--> statement-breakpoint
CREATE TABLE "autobid_strategies" (
	"lender_id" text PRIMARY KEY NOT NULL,
	"enabled" boolean NOT NULL,
	"amount_per_listing_minor" bigint NOT NULL,
	"max_per_borrower_minor" bigint NOT NULL,
	"budget_minor" bigint NOT NULL,
	"reserve_minor" bigint NOT NULL,
	"min_rate_bps_by_grade" jsonb NOT NULL,
	"terms_months" jsonb,
	"products" jsonb,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "autobid_amounts" CHECK ("autobid_strategies"."amount_per_listing_minor" > 0 and "autobid_strategies"."max_per_borrower_minor" >= 0 and "autobid_strategies"."budget_minor" >= 0 and "autobid_strategies"."reserve_minor" >= 0)
);
--> statement-breakpoint
ALTER TABLE "bids" ADD COLUMN "source" text DEFAULT 'manual' NOT NULL;--> statement-breakpoint
ALTER TABLE "autobid_log" ADD CONSTRAINT "autobid_log_lender_id_users_id_fk" FOREIGN KEY ("lender_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "autobid_log" ADD CONSTRAINT "autobid_log_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "autobid_log" ADD CONSTRAINT "autobid_log_bid_id_bids_id_fk" FOREIGN KEY ("bid_id") REFERENCES "public"."bids"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "autobid_passes" ADD CONSTRAINT "autobid_passes_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "autobid_strategies" ADD CONSTRAINT "autobid_strategies_lender_id_users_id_fk" FOREIGN KEY ("lender_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "autobid_log_lender_idx" ON "autobid_log" USING btree ("lender_id","id");--> statement-breakpoint
CREATE INDEX "autobid_strategies_enabled_idx" ON "autobid_strategies" USING btree ("enabled");--> statement-breakpoint
CREATE INDEX "bids_autobid_lender_idx" ON "bids" USING btree ("lender_id","created_at") WHERE "bids"."source" = 'autobid';--> statement-breakpoint
ALTER TABLE "bids" ADD CONSTRAINT "bids_source" CHECK ("bids"."source" in ('manual','autobid'));