CREATE TABLE "claims" (
	"id" text PRIMARY KEY NOT NULL,
	"payable_id" text NOT NULL,
	"core_enterprise_id" text NOT NULL,
	"holder_merchant_id" text NOT NULL,
	"parent_id" text,
	"tier" integer NOT NULL,
	"amount_minor" bigint NOT NULL,
	"original_amount_minor" bigint NOT NULL,
	"chain" jsonb NOT NULL,
	"pledged_listing_id" text,
	"to_loan_minor" bigint,
	"to_holder_minor" bigint,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "claims_amount" CHECK ("claims"."amount_minor" >= 0 and "claims"."amount_minor" <= "claims"."original_amount_minor" and "claims"."original_amount_minor" > 0),
	CONSTRAINT "claims_tier" CHECK ("claims"."tier" >= 1 and ("claims"."tier" = 1) = ("claims"."parent_id" is null)),
	CONSTRAINT "claims_settlement" CHECK (("claims"."to_loan_minor" is null) = ("claims"."to_holder_minor" is null) and ("claims"."to_loan_minor" is null or ("claims"."to_loan_minor" >= 0 and "claims"."to_holder_minor" >= 0 and "claims"."to_loan_minor" + "claims"."to_holder_minor" = "claims"."amount_minor")))
);
--> statement-breakpoint
CREATE TABLE "core_enterprises" (
	"id" text PRIMARY KEY NOT NULL,
	"partner_id" text NOT NULL,
	"name" text NOT NULL,
	"legal_form" text NOT NULL,
	"grade" text NOT NULL,
	"limit_minor" bigint NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "core_enterprises_grade" CHECK ("core_enterprises"."grade" in ('AA','A','B','C','D','E','HR')),
	CONSTRAINT "core_enterprises_limit" CHECK ("core_enterprises"."limit_minor" > 0),
	CONSTRAINT "core_enterprises_legal_form" CHECK ("core_enterprises"."legal_form" in ('legal_person','natural_person'))
);
--> statement-breakpoint
CREATE TABLE "order_proceeds" (
	"merchant_id" text NOT NULL,
	"order_id" text NOT NULL,
	"partner_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"to_loan_minor" bigint NOT NULL,
	"to_merchant_minor" bigint NOT NULL,
	"loan_id" text,
	"repayment_id" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "order_proceeds_merchant_id_order_id_pk" PRIMARY KEY("merchant_id","order_id"),
	CONSTRAINT "order_proceeds_amounts" CHECK ("order_proceeds"."amount_minor" > 0 and "order_proceeds"."to_loan_minor" >= 0 and "order_proceeds"."to_merchant_minor" >= 0 and "order_proceeds"."to_loan_minor" + "order_proceeds"."to_merchant_minor" = "order_proceeds"."amount_minor"),
	CONSTRAINT "order_proceeds_loan" CHECK ("order_proceeds"."to_loan_minor" = 0 or ("order_proceeds"."loan_id" is not null and "order_proceeds"."repayment_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "payables" (
	"id" text PRIMARY KEY NOT NULL,
	"core_enterprise_id" text NOT NULL,
	"payable_ref" text NOT NULL,
	"supplier_merchant_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"due_date" date NOT NULL,
	"order_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"status" text NOT NULL,
	"issued_at" timestamp (3) with time zone NOT NULL,
	"settled_at" timestamp (3) with time zone,
	"settled_on" date,
	CONSTRAINT "payables_amount" CHECK ("payables"."amount_minor" > 0),
	CONSTRAINT "payables_status" CHECK ("payables"."status" in ('outstanding','settled')),
	CONSTRAINT "payables_settled" CHECK (("payables"."status" = 'settled') = ("payables"."settled_at" is not null and "payables"."settled_on" is not null))
);
--> statement-breakpoint
ALTER TABLE "repayments" DROP CONSTRAINT "repayments_source";--> statement-breakpoint
ALTER TABLE "custodian_instructions" DROP CONSTRAINT "custodian_instructions_user_id_users_id_fk";
--> statement-breakpoint
ALTER TABLE "listings" ALTER COLUMN "term_months" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "loans" ALTER COLUMN "term_months" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "partner_keys" ADD COLUMN "kind" text DEFAULT 'partner' NOT NULL;--> statement-breakpoint
ALTER TABLE "partner_keys" ADD COLUMN "core_enterprise_id" text;--> statement-breakpoint
ALTER TABLE "listings" ADD COLUMN "matures_on" date;--> statement-breakpoint
ALTER TABLE "listings" ADD COLUMN "core_enterprise_id" text;--> statement-breakpoint
ALTER TABLE "listings" ADD COLUMN "borrower_grade" text;--> statement-breakpoint
ALTER TABLE "loans" ADD COLUMN "matures_on" date;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_payable_id_payables_id_fk" FOREIGN KEY ("payable_id") REFERENCES "public"."payables"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_core_enterprise_id_core_enterprises_id_fk" FOREIGN KEY ("core_enterprise_id") REFERENCES "public"."core_enterprises"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "claims" ADD CONSTRAINT "claims_holder_merchant_id_merchants_id_fk" FOREIGN KEY ("holder_merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "core_enterprises" ADD CONSTRAINT "core_enterprises_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_proceeds" ADD CONSTRAINT "order_proceeds_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "order_proceeds" ADD CONSTRAINT "order_proceeds_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payables" ADD CONSTRAINT "payables_core_enterprise_id_core_enterprises_id_fk" FOREIGN KEY ("core_enterprise_id") REFERENCES "public"."core_enterprises"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "payables" ADD CONSTRAINT "payables_supplier_merchant_id_merchants_id_fk" FOREIGN KEY ("supplier_merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "claims_payable_idx" ON "claims" USING btree ("payable_id");--> statement-breakpoint
CREATE INDEX "claims_holder_idx" ON "claims" USING btree ("holder_merchant_id");--> statement-breakpoint
CREATE INDEX "claims_parent_idx" ON "claims" USING btree ("parent_id");--> statement-breakpoint
CREATE INDEX "claims_pledged_idx" ON "claims" USING btree ("pledged_listing_id");--> statement-breakpoint
CREATE INDEX "core_enterprises_partner_idx" ON "core_enterprises" USING btree ("partner_id");--> statement-breakpoint
CREATE INDEX "order_proceeds_loan_idx" ON "order_proceeds" USING btree ("loan_id");--> statement-breakpoint
CREATE UNIQUE INDEX "payables_core_ref_unique" ON "payables" USING btree ("core_enterprise_id","payable_ref");--> statement-breakpoint
CREATE INDEX "payables_core_status_idx" ON "payables" USING btree ("core_enterprise_id","status");--> statement-breakpoint
ALTER TABLE "partner_keys" ADD CONSTRAINT "partner_keys_kind" CHECK ("partner_keys"."kind" in ('partner','core') and ("partner_keys"."kind" = 'core') = ("partner_keys"."core_enterprise_id" is not null));--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_claim_terms" CHECK (("listings"."product" = 'claim') = ("listings"."matures_on" is not null) and ("listings"."product" = 'claim') = ("listings"."term_months" is null)
          and ("listings"."product" = 'claim') = ("listings"."repayment" = 'bullet') and ("listings"."product" = 'claim') = ("listings"."core_enterprise_id" is not null));--> statement-breakpoint
ALTER TABLE "loans" ADD CONSTRAINT "loans_bullet" CHECK (("loans"."repayment" = 'bullet') = ("loans"."matures_on" is not null) and ("loans"."repayment" = 'bullet') = ("loans"."term_months" is null));--> statement-breakpoint
ALTER TABLE "repayments" ADD CONSTRAINT "repayments_source" CHECK ("repayments"."source" in ('borrower','order_sweep','recovery','payable_settlement','order_proceeds'));