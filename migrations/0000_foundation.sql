CREATE TABLE "bus_state" (
	"id" smallint PRIMARY KEY NOT NULL,
	"last_dispatch_seq" bigint NOT NULL,
	CONSTRAINT "bus_state_one_row" CHECK ("bus_state"."id" = 1),
	CONSTRAINT "bus_state_seq_nonneg" CHECK ("bus_state"."last_dispatch_seq" >= 0)
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
CREATE TABLE "settings_overrides" (
	"id" smallint PRIMARY KEY NOT NULL,
	"values" jsonb NOT NULL,
	"clock_offset_ms" bigint DEFAULT 0 NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_by" text,
	CONSTRAINT "settings_one_row" CHECK ("settings_overrides"."id" = 1)
);
--> statement-breakpoint
CREATE INDEX "local_jobs_due_idx" ON "local_jobs" USING btree ("run_at") WHERE "local_jobs"."status" = 'pending';--> statement-breakpoint
CREATE INDEX "outbox_pending_idx" ON "outbox" USING btree ("id") WHERE "outbox"."dispatch_seq" is null;