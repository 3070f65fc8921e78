CREATE TABLE "bus_state" (
	"id" smallint PRIMARY KEY NOT NULL,
	"last_dispatch_seq" bigint NOT NULL,
	CONSTRAINT "bus_state_one_row" CHECK ("bus_state"."id" = 1),
	CONSTRAINT "bus_state_seq_nonneg" CHECK ("bus_state"."last_dispatch_seq" >= 0)
);
--> statement-breakpoint
CREATE TABLE "idempotency_keys" (
	"scope" text NOT NULL,
	"key" text NOT NULL,
	"request_hash" text NOT NULL,
	"status" text NOT NULL,
	"response_status" integer,
	"response_body" text,
	"response_content_type" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "idempotency_keys_scope_key_pk" PRIMARY KEY("scope","key"),
	CONSTRAINT "idempotency_status" CHECK ("idempotency_keys"."status" in ('pending','done'))
);
--> statement-breakpoint
CREATE TABLE "local_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"data" jsonb NOT NULL,
	"run_at" timestamp with time zone NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer DEFAULT 5 NOT NULL,
	"backoff_ms" integer DEFAULT 1000 NOT NULL,
	"last_error" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "local_jobs_status" CHECK ("local_jobs"."status" in ('pending','running','done','failed'))
);
--> statement-breakpoint
CREATE TABLE "outbox" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"messages" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"jobs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"dispatch_seq" bigint,
	"dispatched_at" timestamp with time zone,
	CONSTRAINT "outbox_dispatch_seq_unique" UNIQUE("dispatch_seq")
);
--> statement-breakpoint
CREATE TABLE "server_keys" (
	"id" smallint PRIMARY KEY NOT NULL,
	"key_material" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "server_keys_one_row" CHECK ("server_keys"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "settings_overrides" (
	"id" smallint PRIMARY KEY NOT NULL,
	"values" jsonb NOT NULL,
	"clock_offset_ms" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text,
	CONSTRAINT "settings_one_row" CHECK ("settings_overrides"."id" = 1)
);
--> statement-breakpoint
CREATE TABLE "signature_nonces" (
	"signature" text PRIMARY KEY NOT NULL,
	"key_id" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partner_keys" (
	"key_id" text PRIMARY KEY NOT NULL,
	"partner_id" text NOT NULL,
	"secret_enc" text NOT NULL,
	"previous_secret_enc" text,
	"version" integer DEFAULT 1 NOT NULL,
	"revoked_at" timestamp with time zone,
	"rotated_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "partners" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"webhook_url" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_by" text
);
--> statement-breakpoint
CREATE TABLE "publishable_keys" (
	"key" text PRIMARY KEY NOT NULL,
	"partner_id" text NOT NULL,
	"allowed_origins" jsonb NOT NULL,
	"revoked_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "sessions" (
	"id" text PRIMARY KEY NOT NULL,
	"token_hash" text NOT NULL,
	"user_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"revoked_at" timestamp with time zone,
	"user_agent" text,
	CONSTRAINT "sessions_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
CREATE TABLE "users" (
	"id" text PRIMARY KEY NOT NULL,
	"email" text NOT NULL,
	"password_hash" text NOT NULL,
	"role" text NOT NULL,
	"display_name" text NOT NULL,
	"merchant_id" text,
	"kyc_status" text DEFAULT 'none' NOT NULL,
	"legal_name" text,
	"id_number_last4" text,
	"id_number_hash" text,
	"risk_profile" text,
	"kyc_verified_at" timestamp with time zone,
	"password_changed_at" timestamp with time zone DEFAULT now() NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "users_role" CHECK ("users"."role" in ('lender','borrower','operator','partner')),
	CONSTRAINT "users_kyc" CHECK ("users"."kyc_status" in ('none','verified')),
	CONSTRAINT "users_kyc_complete" CHECK ("users"."kyc_status" = 'none' or ("users"."legal_name" is not null and "users"."id_number_hash" is not null and "users"."risk_profile" is not null)),
	CONSTRAINT "users_borrower_merchant" CHECK (("users"."role" = 'borrower') = ("users"."merchant_id" is not null))
);
--> statement-breakpoint
CREATE TABLE "ledger_accounts" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"owner_user_id" text,
	"currency" text DEFAULT 'CNY' NOT NULL,
	"debits_must_not_exceed_credits" boolean NOT NULL,
	"debits_pending_minor" bigint DEFAULT 0 NOT NULL,
	"debits_posted_minor" bigint DEFAULT 0 NOT NULL,
	"credits_pending_minor" bigint DEFAULT 0 NOT NULL,
	"credits_posted_minor" bigint DEFAULT 0 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ledger_accounts_kind" CHECK ("ledger_accounts"."kind" in ('custody','wallet','platform_fees')),
	CONSTRAINT "ledger_accounts_currency" CHECK ("ledger_accounts"."currency" = 'CNY'),
	CONSTRAINT "ledger_accounts_sums_nonneg" CHECK ("ledger_accounts"."debits_pending_minor" >= 0 and "ledger_accounts"."debits_posted_minor" >= 0 and "ledger_accounts"."credits_pending_minor" >= 0 and "ledger_accounts"."credits_posted_minor" >= 0),
	CONSTRAINT "ledger_accounts_no_overdraft" CHECK (not "ledger_accounts"."debits_must_not_exceed_credits" or "ledger_accounts"."debits_posted_minor" + "ledger_accounts"."debits_pending_minor" <= "ledger_accounts"."credits_posted_minor"),
	CONSTRAINT "ledger_accounts_wallet_owner" CHECK (("ledger_accounts"."kind" = 'wallet') = ("ledger_accounts"."owner_user_id" is not null)),
	CONSTRAINT "ledger_accounts_wallet_guarded" CHECK ("ledger_accounts"."kind" <> 'wallet' or "ledger_accounts"."debits_must_not_exceed_credits")
);
--> statement-breakpoint
CREATE TABLE "ledger_transfers" (
	"id" text PRIMARY KEY NOT NULL,
	"debit_account_id" text NOT NULL,
	"credit_account_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"phase" text NOT NULL,
	"pending_id" text,
	"kind" text NOT NULL,
	"reference" text,
	"currency" text DEFAULT 'CNY' NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "ledger_transfers_amount" CHECK ("ledger_transfers"."amount_minor" >= 0),
	CONSTRAINT "ledger_transfers_distinct_accounts" CHECK ("ledger_transfers"."debit_account_id" <> "ledger_transfers"."credit_account_id"),
	CONSTRAINT "ledger_transfers_phase" CHECK ("ledger_transfers"."phase" in ('single','pending','post','void')),
	CONSTRAINT "ledger_transfers_pending_ref" CHECK (("ledger_transfers"."phase" in ('post','void')) = ("ledger_transfers"."pending_id" is not null)),
	CONSTRAINT "ledger_transfers_positive_unless_resolution" CHECK ("ledger_transfers"."phase" in ('post','void') or "ledger_transfers"."amount_minor" > 0)
);
--> statement-breakpoint
CREATE TABLE "custodian_instructions" (
	"id" text PRIMARY KEY NOT NULL,
	"user_id" text NOT NULL,
	"kind" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"status" text NOT NULL,
	"transfer_id" text,
	"external_ref" text,
	"failure_reason" text,
	"created_at" timestamp with time zone NOT NULL,
	"completed_at" timestamp with time zone,
	CONSTRAINT "custodian_instructions_amount" CHECK ("custodian_instructions"."amount_minor" > 0),
	CONSTRAINT "custodian_instructions_kind" CHECK ("custodian_instructions"."kind" in ('deposit','withdrawal')),
	CONSTRAINT "custodian_instructions_status" CHECK ("custodian_instructions"."status" in ('pending','completed','failed'))
);
--> statement-breakpoint
CREATE TABLE "merchant_invites" (
	"code" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"used_at" timestamp with time zone,
	"used_by" text
);
--> statement-breakpoint
CREATE TABLE "merchants" (
	"id" text PRIMARY KEY NOT NULL,
	"partner_id" text NOT NULL,
	"ref" text NOT NULL,
	"name" text NOT NULL,
	"legal_form" text NOT NULL,
	"opened_at" date NOT NULL,
	"category" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "merchants_legal_form" CHECK ("merchants"."legal_form" in ('legal_person','natural_person'))
);
--> statement-breakpoint
CREATE TABLE "order_status_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"order_id" text NOT NULL,
	"from_status" text,
	"to_status" text NOT NULL,
	"changed_at" timestamp with time zone NOT NULL,
	"pledged_listing_id" text
);
--> statement-breakpoint
CREATE TABLE "orders" (
	"merchant_id" text NOT NULL,
	"order_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"status" text NOT NULL,
	"placed_at" timestamp with time zone NOT NULL,
	"settled_at" timestamp with time zone,
	"status_changed_at" timestamp with time zone NOT NULL,
	"pledged_listing_id" text,
	"swept_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "orders_merchant_id_order_id_pk" PRIMARY KEY("merchant_id","order_id"),
	CONSTRAINT "orders_amount" CHECK ("orders"."amount_minor" >= 0),
	CONSTRAINT "orders_status" CHECK ("orders"."status" in ('paid','shipped','delivered','settled','refunded','disputed'))
);
--> statement-breakpoint
CREATE TABLE "ratings" (
	"id" text PRIMARY KEY NOT NULL,
	"merchant_id" text NOT NULL,
	"version" text NOT NULL,
	"as_of" date NOT NULL,
	"score" integer NOT NULL,
	"grade" text NOT NULL,
	"probability_of_default_bps" integer NOT NULL,
	"months_active" integer NOT NULL,
	"avg_monthly_gmv_minor" bigint NOT NULL,
	"inputs" jsonb NOT NULL,
	"result" jsonb NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "ratings_score" CHECK ("ratings"."score" between 0 and 1000),
	CONSTRAINT "ratings_grade" CHECK ("ratings"."grade" in ('AA','A','B','C','D','E','HR'))
);
--> statement-breakpoint
CREATE TABLE "warehouse_receipts" (
	"id" text PRIMARY KEY NOT NULL,
	"partner_id" text NOT NULL,
	"receipt_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"goods" text NOT NULL,
	"quantity" integer NOT NULL,
	"value_minor" bigint NOT NULL,
	"pledged_listing_id" text,
	"released_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "warehouse_receipts_value" CHECK ("warehouse_receipts"."value_minor" > 0),
	CONSTRAINT "warehouse_receipts_quantity" CHECK ("warehouse_receipts"."quantity" > 0)
);
--> statement-breakpoint
CREATE TABLE "webhook_deliveries" (
	"id" text PRIMARY KEY NOT NULL,
	"partner_id" text NOT NULL,
	"event_id" text NOT NULL,
	"type" text NOT NULL,
	"payload" jsonb NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_status_code" integer,
	"last_error" text,
	"created_at" timestamp with time zone NOT NULL,
	"delivered_at" timestamp with time zone,
	"replays" integer DEFAULT 0 NOT NULL,
	CONSTRAINT "webhook_deliveries_event_id_unique" UNIQUE("event_id"),
	CONSTRAINT "webhook_deliveries_status" CHECK ("webhook_deliveries"."status" in ('pending','delivered','failed'))
);
--> statement-breakpoint
CREATE TABLE "bids" (
	"id" text PRIMARY KEY NOT NULL,
	"listing_id" text NOT NULL,
	"lender_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"requested_amount_minor" bigint NOT NULL,
	"rate_bps" integer NOT NULL,
	"priority" integer NOT NULL,
	"status" text NOT NULL,
	"fill_minor" bigint DEFAULT 0 NOT NULL,
	"hold_id" text NOT NULL,
	"client_ref" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"updated_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "bids_amount" CHECK ("bids"."amount_minor" > 0 and "bids"."amount_minor" <= "bids"."requested_amount_minor"),
	CONSTRAINT "bids_rate" CHECK ("bids"."rate_bps" >= 1),
	CONSTRAINT "bids_fill" CHECK ("bids"."fill_minor" >= 0 and "bids"."fill_minor" <= "bids"."amount_minor"),
	CONSTRAINT "bids_status" CHECK ("bids"."status" in ('active','outbid','filled','released'))
);
--> statement-breakpoint
CREATE TABLE "listings" (
	"id" text PRIMARY KEY NOT NULL,
	"borrower_user_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"title" text NOT NULL,
	"purpose" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"term_months" integer NOT NULL,
	"max_rate_bps" integer NOT NULL,
	"repayment" text NOT NULL,
	"product" text NOT NULL,
	"pricing" text NOT NULL,
	"min_funding_pct" integer NOT NULL,
	"close_when_funded" boolean NOT NULL,
	"grade" text NOT NULL,
	"score" integer NOT NULL,
	"expected_loss_bps" integer NOT NULL,
	"rating_id" text NOT NULL,
	"rating_reasons" jsonb NOT NULL,
	"status" text NOT NULL,
	"seq" integer DEFAULT 0 NOT NULL,
	"ends_at" timestamp (3) with time zone NOT NULL,
	"original_ends_at" timestamp (3) with time zone NOT NULL,
	"ends_at_version" integer DEFAULT 1 NOT NULL,
	"coverage_minor" bigint DEFAULT 0 NOT NULL,
	"current_rate_bps" integer NOT NULL,
	"funded_pct" integer DEFAULT 0 NOT NULL,
	"bid_count" integer DEFAULT 0 NOT NULL,
	"collateral_value_minor" bigint,
	"collateral_limit_minor" bigint,
	"receipt_id" text,
	"created_at" timestamp (3) with time zone NOT NULL,
	"closed_at" timestamp (3) with time zone,
	"loan_id" text,
	CONSTRAINT "listings_amount" CHECK ("listings"."amount_minor" >= 100000 and "listings"."amount_minor" % 100 = 0),
	CONSTRAINT "listings_term" CHECK ("listings"."term_months" in (1,2,3,6,9,12,18,24,36)),
	CONSTRAINT "listings_rate" CHECK ("listings"."max_rate_bps" >= 1),
	CONSTRAINT "listings_min_funding" CHECK ("listings"."min_funding_pct" between 50 and 100),
	CONSTRAINT "listings_status" CHECK ("listings"."status" in ('open','cleared','failed','withdrawn')),
	CONSTRAINT "listings_coverage" CHECK ("listings"."coverage_minor" >= 0),
	CONSTRAINT "listings_seq" CHECK ("listings"."seq" >= 0)
);
--> statement-breakpoint
CREATE TABLE "loan_notes" (
	"id" text PRIMARY KEY NOT NULL,
	"loan_id" text NOT NULL,
	"bid_id" text NOT NULL,
	"lender_id" text NOT NULL,
	"principal_minor" bigint NOT NULL,
	"rate_bps" integer NOT NULL,
	"status" text NOT NULL,
	"outstanding_principal_minor" bigint NOT NULL,
	"received_principal_minor" bigint DEFAULT 0 NOT NULL,
	"received_interest_minor" bigint DEFAULT 0 NOT NULL,
	"received_penalty_minor" bigint DEFAULT 0 NOT NULL,
	"installments" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "loan_notes_principal" CHECK ("loan_notes"."principal_minor" > 0),
	CONSTRAINT "loan_notes_outstanding" CHECK ("loan_notes"."outstanding_principal_minor" >= 0 and "loan_notes"."outstanding_principal_minor" <= "loan_notes"."principal_minor"),
	CONSTRAINT "loan_notes_received" CHECK ("loan_notes"."received_principal_minor" >= 0 and "loan_notes"."received_interest_minor" >= 0 and "loan_notes"."received_penalty_minor" >= 0),
	CONSTRAINT "loan_notes_principal_balance" CHECK ("loan_notes"."received_principal_minor" + "loan_notes"."outstanding_principal_minor" = "loan_notes"."principal_minor")
);
--> statement-breakpoint
CREATE TABLE "loans" (
	"id" text PRIMARY KEY NOT NULL,
	"listing_id" text NOT NULL,
	"borrower_user_id" text NOT NULL,
	"merchant_id" text NOT NULL,
	"principal_minor" bigint NOT NULL,
	"rate_bps" integer NOT NULL,
	"term_months" integer NOT NULL,
	"repayment" text NOT NULL,
	"pricing" text NOT NULL,
	"product" text NOT NULL,
	"grade" text NOT NULL,
	"fee_minor" bigint NOT NULL,
	"disbursed_on" date NOT NULL,
	"status" text NOT NULL,
	"outstanding_principal_minor" bigint NOT NULL,
	"serviced_through" date NOT NULL,
	"days_past_due" integer DEFAULT 0 NOT NULL,
	"bucket" text DEFAULT 'current' NOT NULL,
	"defaulted_on" date,
	"next_due_date" date,
	"reminded_through" date,
	"receipt_id" text,
	"installment_history" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	"closed_at" timestamp (3) with time zone,
	CONSTRAINT "loans_principal" CHECK ("loans"."principal_minor" > 0),
	CONSTRAINT "loans_outstanding" CHECK ("loans"."outstanding_principal_minor" >= 0 and "loans"."outstanding_principal_minor" <= "loans"."principal_minor"),
	CONSTRAINT "loans_fee" CHECK ("loans"."fee_minor" >= 0 and "loans"."fee_minor" <= "loans"."principal_minor"),
	CONSTRAINT "loans_status" CHECK ("loans"."status" in ('active','repaid','defaulted'))
);
--> statement-breakpoint
CREATE TABLE "repayments" (
	"id" text PRIMARY KEY NOT NULL,
	"loan_id" text NOT NULL,
	"amount_minor" bigint NOT NULL,
	"principal_minor" bigint NOT NULL,
	"interest_minor" bigint NOT NULL,
	"penalty_minor" bigint NOT NULL,
	"paid_on" date NOT NULL,
	"source" text NOT NULL,
	"after_default" boolean DEFAULT false NOT NULL,
	"breakdown" jsonb NOT NULL,
	"created_at" timestamp (3) with time zone NOT NULL,
	CONSTRAINT "repayments_amount" CHECK ("repayments"."amount_minor" > 0),
	CONSTRAINT "repayments_parts" CHECK ("repayments"."principal_minor" >= 0 and "repayments"."interest_minor" >= 0 and "repayments"."penalty_minor" >= 0 and "repayments"."principal_minor" + "repayments"."interest_minor" + "repayments"."penalty_minor" = "repayments"."amount_minor"),
	CONSTRAINT "repayments_source" CHECK ("repayments"."source" in ('borrower','order_sweep','recovery'))
);
--> statement-breakpoint
ALTER TABLE "partner_keys" ADD CONSTRAINT "partner_keys_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "publishable_keys" ADD CONSTRAINT "publishable_keys_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "sessions" ADD CONSTRAINT "sessions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transfers" ADD CONSTRAINT "ledger_transfers_debit_account_id_ledger_accounts_id_fk" FOREIGN KEY ("debit_account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ledger_transfers" ADD CONSTRAINT "ledger_transfers_credit_account_id_ledger_accounts_id_fk" FOREIGN KEY ("credit_account_id") REFERENCES "public"."ledger_accounts"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "custodian_instructions" ADD CONSTRAINT "custodian_instructions_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "merchant_invites" ADD CONSTRAINT "merchant_invites_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "merchants" ADD CONSTRAINT "merchants_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "orders" ADD CONSTRAINT "orders_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "ratings" ADD CONSTRAINT "ratings_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "warehouse_receipts" ADD CONSTRAINT "warehouse_receipts_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "warehouse_receipts" ADD CONSTRAINT "warehouse_receipts_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "webhook_deliveries" ADD CONSTRAINT "webhook_deliveries_partner_id_partners_id_fk" FOREIGN KEY ("partner_id") REFERENCES "public"."partners"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bids" ADD CONSTRAINT "bids_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "bids" ADD CONSTRAINT "bids_lender_id_users_id_fk" FOREIGN KEY ("lender_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_borrower_user_id_users_id_fk" FOREIGN KEY ("borrower_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "listings" ADD CONSTRAINT "listings_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loan_notes" ADD CONSTRAINT "loan_notes_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loan_notes" ADD CONSTRAINT "loan_notes_bid_id_bids_id_fk" FOREIGN KEY ("bid_id") REFERENCES "public"."bids"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loan_notes" ADD CONSTRAINT "loan_notes_lender_id_users_id_fk" FOREIGN KEY ("lender_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loans" ADD CONSTRAINT "loans_listing_id_listings_id_fk" FOREIGN KEY ("listing_id") REFERENCES "public"."listings"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loans" ADD CONSTRAINT "loans_borrower_user_id_users_id_fk" FOREIGN KEY ("borrower_user_id") REFERENCES "public"."users"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "loans" ADD CONSTRAINT "loans_merchant_id_merchants_id_fk" FOREIGN KEY ("merchant_id") REFERENCES "public"."merchants"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "repayments" ADD CONSTRAINT "repayments_loan_id_loans_id_fk" FOREIGN KEY ("loan_id") REFERENCES "public"."loans"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "local_jobs_due_idx" ON "local_jobs" USING btree ("run_at") WHERE "local_jobs"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("id") WHERE "outbox"."dispatch_seq" is null;--> statement-breakpoint
CREATE INDEX "partner_keys_partner_idx" ON "partner_keys" USING btree ("partner_id");--> statement-breakpoint
CREATE INDEX "sessions_user_idx" ON "sessions" USING btree ("user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "users_email_unique" ON "users" USING btree (lower("email"));--> statement-breakpoint
CREATE UNIQUE INDEX "users_merchant_unique" ON "users" USING btree ("merchant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_accounts_owner_unique" ON "ledger_accounts" USING btree ("owner_user_id","kind");--> statement-breakpoint
CREATE UNIQUE INDEX "ledger_transfers_resolves_once" ON "ledger_transfers" USING btree ("pending_id");--> statement-breakpoint
CREATE INDEX "ledger_transfers_debit_idx" ON "ledger_transfers" USING btree ("debit_account_id","created_at");--> statement-breakpoint
CREATE INDEX "ledger_transfers_credit_idx" ON "ledger_transfers" USING btree ("credit_account_id","created_at");--> statement-breakpoint
CREATE INDEX "ledger_transfers_reference_idx" ON "ledger_transfers" USING btree ("reference");--> statement-breakpoint
CREATE INDEX "custodian_instructions_user_idx" ON "custodian_instructions" USING btree ("user_id","created_at");--> statement-breakpoint
CREATE INDEX "merchant_invites_merchant_idx" ON "merchant_invites" USING btree ("merchant_id");--> statement-breakpoint
CREATE UNIQUE INDEX "merchants_partner_ref_unique" ON "merchants" USING btree ("partner_id","ref");--> statement-breakpoint
CREATE INDEX "order_status_history_order_idx" ON "order_status_history" USING btree ("merchant_id","order_id");--> statement-breakpoint
CREATE INDEX "orders_merchant_placed_idx" ON "orders" USING btree ("merchant_id","placed_at");--> statement-breakpoint
CREATE INDEX "orders_pledged_idx" ON "orders" USING btree ("pledged_listing_id");--> statement-breakpoint
CREATE INDEX "ratings_merchant_idx" ON "ratings" USING btree ("merchant_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "warehouse_receipts_partner_receipt_unique" ON "warehouse_receipts" USING btree ("partner_id","receipt_id");--> statement-breakpoint
CREATE INDEX "webhook_deliveries_partner_idx" ON "webhook_deliveries" USING btree ("partner_id","created_at");--> statement-breakpoint
CREATE INDEX "bids_listing_idx" ON "bids" USING btree ("listing_id","status");--> statement-breakpoint
CREATE INDEX "bids_lender_idx" ON "bids" USING btree ("lender_id","created_at");--> statement-breakpoint
CREATE UNIQUE INDEX "bids_one_active_per_lender" ON "bids" USING btree ("listing_id","lender_id") WHERE "bids"."status" = 'active';--> statement-breakpoint
CREATE UNIQUE INDEX "bids_client_ref_unique" ON "bids" USING btree ("lender_id","client_ref");--> statement-breakpoint
CREATE UNIQUE INDEX "bids_priority_unique" ON "bids" USING btree ("listing_id","priority");--> statement-breakpoint
CREATE INDEX "listings_status_ends_idx" ON "listings" USING btree ("status","ends_at");--> statement-breakpoint
CREATE INDEX "listings_borrower_idx" ON "listings" USING btree ("borrower_user_id");--> statement-breakpoint
CREATE UNIQUE INDEX "listings_one_open_per_borrower" ON "listings" USING btree ("borrower_user_id") WHERE "listings"."status" = 'open';--> statement-breakpoint
CREATE INDEX "loan_notes_loan_idx" ON "loan_notes" USING btree ("loan_id");--> statement-breakpoint
CREATE INDEX "loan_notes_lender_idx" ON "loan_notes" USING btree ("lender_id");--> statement-breakpoint
CREATE UNIQUE INDEX "loan_notes_bid_unique" ON "loan_notes" USING btree ("bid_id");--> statement-breakpoint
CREATE UNIQUE INDEX "loans_listing_unique" ON "loans" USING btree ("listing_id");--> statement-breakpoint
CREATE INDEX "loans_borrower_idx" ON "loans" USING btree ("borrower_user_id");--> statement-breakpoint
CREATE INDEX "loans_merchant_idx" ON "loans" USING btree ("merchant_id","status");--> statement-breakpoint
CREATE INDEX "loans_status_idx" ON "loans" USING btree ("status");--> statement-breakpoint
CREATE INDEX "repayments_loan_idx" ON "repayments" USING btree ("loan_id","created_at");--> statement-breakpoint
CREATE INDEX "repayments_paid_on_idx" ON "repayments" USING btree ("paid_on");