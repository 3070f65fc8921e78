CREATE TABLE "note_offers" (
	"id" text PRIMARY KEY NOT NULL,
	"note_id" text NOT NULL,
	"loan_id" text NOT NULL,
	"listing_id" text NOT NULL,
	"seller_id" text NOT NULL,
	"grade" text NOT NULL,
	"rate_bps" integer NOT NULL,
	"repayment" text NOT NULL,
	"principal_minor" bigint NOT NULL,
	"remaining_minor" bigint NOT NULL,
	"sold_minor" bigint DEFAULT 0 NOT NULL,
	"price_bps" integer NOT NULL,
	"whole_note" boolean NOT NULL,
	"status" text NOT NULL,
	"end_reason" text,
	"expires_at" timestamp (3) with time zone NOT NULL,
	"quoted_on" date NOT NULL,
	"accrued_minor" bigint NOT NULL,
	"months_left" integer NOT NULL,
	"next_due_date" date NOT NULL,
	"yield_bps" integer NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	"ended_at" timestamp (3) with time zone,
	CONSTRAINT "note_offers_status" CHECK ("note_offers"."status" in ('open','filled','cancelled','expired')),
	CONSTRAINT "note_offers_amounts" CHECK ("note_offers"."principal_minor" > 0 and "note_offers"."remaining_minor" >= 0 and "note_offers"."sold_minor" >= 0 and "note_offers"."remaining_minor" + "note_offers"."sold_minor" <= "note_offers"."principal_minor"),
	CONSTRAINT "note_offers_open_has_remaining" CHECK ("note_offers"."status" <> 'open' or "note_offers"."remaining_minor" > 0),
	CONSTRAINT "note_offers_filled" CHECK ("note_offers"."status" <> 'filled' or ("note_offers"."remaining_minor" = 0 and "note_offers"."sold_minor" > 0)),
	CONSTRAINT "note_offers_price" CHECK ("note_offers"."price_bps" between 1 and 20000),
	CONSTRAINT "note_offers_ended" CHECK (("note_offers"."status" = 'open') = ("note_offers"."ended_at" is null))
);
--> statement-breakpoint
CREATE TABLE "note_transfers" (
	"id" text PRIMARY KEY NOT NULL,
	"offer_id" text NOT NULL,
	"loan_id" text NOT NULL,
	"seller_note_id" text NOT NULL,
	"buyer_note_id" text NOT NULL,
	"seller_id" text NOT NULL,
	"buyer_id" text NOT NULL,
	"principal_minor" bigint NOT NULL,
	"price_bps" integer NOT NULL,
	"price_minor" bigint NOT NULL,
	"accrued_minor" bigint NOT NULL,
	"paid_minor" bigint NOT NULL,
	"fee_minor" bigint NOT NULL,
	"yield_bps" integer NOT NULL,
	"traded_on" date NOT NULL,
	"installments" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "note_transfers_amounts" CHECK ("note_transfers"."principal_minor" > 0 and "note_transfers"."price_minor" > 0 and "note_transfers"."accrued_minor" >= 0 and "note_transfers"."fee_minor" >= 0 and "note_transfers"."fee_minor" <= "note_transfers"."price_minor"),
	CONSTRAINT "note_transfers_paid" CHECK ("note_transfers"."paid_minor" = "note_transfers"."price_minor" + "note_transfers"."accrued_minor"),
	CONSTRAINT "note_transfers_parties" CHECK ("note_transfers"."seller_id" <> "note_transfers"."buyer_id" and "note_transfers"."seller_note_id" <> "note_transfers"."buyer_note_id")
);
--> statement-breakpoint
ALTER TABLE "loan_notes" DROP CONSTRAINT "loan_notes_principal";--> statement-breakpoint
ALTER TABLE "loan_notes" ALTER COLUMN "bid_id" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "loan_notes" ADD COLUMN "acquired_via" text DEFAULT 'auction' NOT NULL;--> statement-breakpoint
ALTER TABLE "loan_notes" ADD COLUMN "source_note_id" text;--> statement-breakpoint
ALTER TABLE "loan_notes" ADD COLUMN "sold_principal_minor" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "loan_notes" ADD COLUMN "sold_out" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "note_offers" ADD CONSTRAINT "note_offers_note_id_loan_notes_id_fk" FOREIGN KEY ("note_id") REFERENCES "public"."loan_notes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "note_offers" ADD CONSTRAINT "note_offers_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "note_offers" ADD CONSTRAINT "note_offers_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "note_offers" ADD CONSTRAINT "note_offers_seller_id_users_id_fk" FOREIGN KEY ("seller_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "note_transfers" ADD CONSTRAINT "note_transfers_offer_id_note_offers_id_fk" FOREIGN KEY ("offer_id") REFERENCES "public"."note_offers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "note_transfers" ADD CONSTRAINT "note_transfers_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "note_transfers" ADD CONSTRAINT "note_transfers_seller_note_id_loan_notes_id_fk" FOREIGN KEY ("seller_note_id") REFERENCES "public"."loan_notes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "note_transfers" ADD CONSTRAINT "note_transfers_buyer_note_id_loan_notes_id_fk" FOREIGN KEY ("buyer_note_id") REFERENCES "public"."loan_notes"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "note_transfers" ADD CONSTRAINT "note_transfers_seller_id_users_id_fk" FOREIGN KEY ("seller_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "note_transfers" ADD CONSTRAINT "note_transfers_buyer_id_users_id_fk" FOREIGN KEY ("buyer_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "note_offers_one_open_per_note" ON "note_offers" USING btree ("note_id") WHERE "note_offers"."status" = 'open';--> statement-breakpoint
CREATE INDEX "note_offers_open_yield_idx" ON "note_offers" USING btree ("status","yield_bps","id");--> statement-breakpoint
CREATE INDEX "note_offers_loan_idx" ON "note_offers" USING btree ("loan_id","status");--> statement-breakpoint
CREATE INDEX "note_offers_seller_idx" ON "note_offers" USING btree ("seller_id","id");--> statement-breakpoint
CREATE INDEX "note_offers_expiry_idx" ON "note_offers" USING btree ("status","expires_at");--> statement-breakpoint
CREATE UNIQUE INDEX "note_transfers_buyer_note_unique" ON "note_transfers" USING btree ("buyer_note_id");--> statement-breakpoint
CREATE INDEX "note_transfers_loan_idx" ON "note_transfers" USING btree ("loan_id","created_at");--> statement-breakpoint
CREATE INDEX "note_transfers_seller_idx" ON "note_transfers" USING btree ("seller_id","created_at");--> statement-breakpoint
CREATE INDEX "note_transfers_buyer_idx" ON "note_transfers" USING btree ("buyer_id","created_at");--> statement-breakpoint
CREATE INDEX "note_transfers_offer_idx" ON "note_transfers" USING btree ("offer_id");--> statement-breakpoint
ALTER TABLE "loan_notes" ADD CONSTRAINT "loan_notes_status" CHECK ("loan_notes"."status" in ('active','repaid','defaulted','sold') and ("loan_notes"."status" <> 'sold' or "loan_notes"."sold_out"));--> statement-breakpoint
ALTER TABLE "loan_notes" ADD CONSTRAINT "loan_notes_origin" CHECK (("loan_notes"."acquired_via" = 'auction' and "loan_notes"."bid_id" is not null and "loan_notes"."source_note_id" is null) or ("loan_notes"."acquired_via" = 'transfer' and "loan_notes"."bid_id" is null and "loan_notes"."source_note_id" is not null));--> statement-breakpoint
ALTER TABLE "loan_notes" ADD CONSTRAINT "loan_notes_principal" CHECK ("loan_notes"."principal_minor" >= 0 and "loan_notes"."principal_minor" + "loan_notes"."sold_principal_minor" > 0 and "loan_notes"."sold_principal_minor" >= 0);