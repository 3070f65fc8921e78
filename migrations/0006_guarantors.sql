CREATE TABLE "guarantees" (
	"id" text PRIMARY KEY NOT NULL,
	"listing_id" text NOT NULL,
	"guarantor_id" text NOT NULL,
	"coverage_pct" integer NOT NULL,
	"fee_bps" integer NOT NULL,
	"status" text NOT NULL,
	"loan_id" text,
	"fee_minor" bigint DEFAULT 0 NOT NULL,
	"owed_minor" bigint DEFAULT 0 NOT NULL,
	"owed_per_note" jsonb,
	"paid_minor" bigint DEFAULT 0 NOT NULL,
	"recovered_minor" bigint DEFAULT 0 NOT NULL,
	"defaulted_on" date,
	"pay_by" date,
	"paid_on" date,
	"payment_id" text,
	"decided_at" timestamp with time zone,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "guarantees_status" CHECK ("guarantees"."status" in ('pending','declined','active','owed','paid','ended')),
	CONSTRAINT "guarantees_coverage" CHECK ("guarantees"."coverage_pct" between 1 and 100),
	CONSTRAINT "guarantees_fee_bps" CHECK ("guarantees"."fee_bps" between 0 and 1000),
	CONSTRAINT "guarantees_amounts" CHECK ("guarantees"."fee_minor" >= 0 and "guarantees"."owed_minor" >= 0 and "guarantees"."paid_minor" >= 0 and "guarantees"."paid_minor" <= "guarantees"."owed_minor" and "guarantees"."recovered_minor" >= 0 and "guarantees"."recovered_minor" <= "guarantees"."paid_minor"),
	CONSTRAINT "guarantees_owed" CHECK (("guarantees"."status" in ('owed','paid')) = ("guarantees"."pay_by" is not null)),
	CONSTRAINT "guarantees_paid" CHECK (("guarantees"."status" = 'paid') = ("guarantees"."paid_on" is not null))
);
--> statement-breakpoint
CREATE TABLE "guarantors" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"licence_no" text NOT NULL,
	"registered_capital_minor" bigint NOT NULL,
	"user_id" text NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "guarantors_capital" CHECK ("guarantors"."registered_capital_minor" > 0)
);
--> statement-breakpoint
ALTER TABLE "users" DROP CONSTRAINT "users_role";--> statement-breakpoint
ALTER TABLE "listings" DROP CONSTRAINT "listings_status";--> statement-breakpoint
ALTER TABLE "repayments" DROP CONSTRAINT "repayments_amount";--> statement-breakpoint
ALTER TABLE "repayments" DROP CONSTRAINT "repayments_parts";--> statement-breakpoint
ALTER TABLE "repayments" DROP CONSTRAINT "repayments_source";--> statement-breakpoint
ALTER TABLE "merchants" ADD COLUMN "related_party" boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE "repayments" ADD COLUMN "guarantor_share_minor" bigint DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "guarantees" ADD CONSTRAINT "guarantees_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "guarantees" ADD CONSTRAINT "guarantees_guarantor_id_guarantors_id_fk" FOREIGN KEY ("guarantor_id") REFERENCES "public"."guarantors"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "guarantors" ADD CONSTRAINT "guarantors_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "guarantees_listing_unique" ON "guarantees" USING btree ("listing_id");--> statement-breakpoint
CREATE INDEX "guarantees_guarantor_idx" ON "guarantees" USING btree ("guarantor_id","status");--> statement-breakpoint
CREATE INDEX "guarantees_loan_idx" ON "guarantees" USING btree ("loan_id");--> statement-breakpoint
CREATE UNIQUE INDEX "guarantors_licence_unique" ON "guarantors" USING btree ("licence_no");--> statement-breakpoint
CREATE UNIQUE INDEX "guarantors_user_unique" ON "guarantors" USING btree ("user_id");--> statement-breakpoint
ALTER TABLE "users" ADD CONSTRAINT "users_role" CHECK ("users"."role" in ('lender','borrower','operator','partner','guarantor'));--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_status" CHECK ("listings"."status" in ('pending_guarantee','open','cleared','failed','withdrawn'));--> statement-breakpoint
ALTER TABLE "repayments" ADD CONSTRAINT "repayments_amount" CHECK ("repayments"."amount_minor" > 0 and "repayments"."guarantor_share_minor" >= 0);--> statement-breakpoint
ALTER TABLE "repayments" ADD CONSTRAINT "repayments_parts" CHECK ("repayments"."principal_minor" >= 0 and "repayments"."interest_minor" >= 0 and "repayments"."penalty_minor" >= 0 and "repayments"."prepayment_fee_minor" >= 0 and "repayments"."principal_minor" + "repayments"."interest_minor" + "repayments"."penalty_minor" + "repayments"."prepayment_fee_minor" + "repayments"."guarantor_share_minor" = "repayments"."amount_minor");--> statement-breakpoint
ALTER TABLE "repayments" ADD CONSTRAINT "repayments_source" CHECK ("repayments"."source" in ('borrower','order_sweep','recovery','payable_settlement','order_proceeds','guarantor'));