# The local Supabase stack (PostgreSQL + PostgREST + nginx on loopback); see scripts/supabase_stack.sh.
# `eval "$(make -s supabase-up)"` starts it and exports SUPABASE_URL / SUPABASE_KEY.
SUPABASE_STACK := scripts/supabase_stack.sh

.PHONY: supabase-up supabase-down supabase-env supabase-status supabase-purge

supabase-up: ## start the local Supabase stack, apply migrations, print the export lines
	@$(SUPABASE_STACK) up

supabase-down: ## stop the local Supabase stack (data kept)
	@$(SUPABASE_STACK) down

supabase-env: ## print SUPABASE_URL / SUPABASE_KEY export lines of the running stack
	@$(SUPABASE_STACK) env

supabase-status: ## say which parts of the local Supabase stack run
	@$(SUPABASE_STACK) status

supabase-purge: ## stop the local Supabase stack and delete its data
	@$(SUPABASE_STACK) purge
