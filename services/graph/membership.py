"""Graph's verbs for who gets in: sign-up, the first-run setup, e-mail confirmations, claimed
domains and the approval queue (use cases in services/graph/use_cases/)."""

from __future__ import annotations

import asyncpg
import redis.asyncio as redis

from services.graph import account_cache
from services.graph.passwords import Passwords
from services.graph.use_cases.approvals import Approvals
from services.graph.use_cases.claimed_domains import ClaimedDomains
from services.graph.use_cases.confirm_email import ConfirmAddress, ResendConfirmationMail
from services.graph.use_cases.create_network import CreateNetwork, FirstRunSetup
from services.graph.use_cases.register_account import RegisterAccount
from shared.contracts import graph as api
from shared.records import AccountRecord
from shared.service_host import ServiceHost
from shared.settings import Settings


def register(host: ServiceHost, pool: asyncpg.Pool, cache: redis.Redis, settings: Settings,
             passwords: Passwords) -> None:
    register_account = RegisterAccount(pool, passwords, settings)

    async def create_account(req: api.RegisterWithInvitation) -> AccountRecord:
        account = await register_account(req)
        await account_cache.put(cache, [account])
        return account

    # The superset of RegisterAccount: callers that send no invite_code decode the same.
    host.serve(api.ACCOUNT_CREATE, create_account)
    host.serve(api.ACCOUNT_CONFIRM, ConfirmAddress(pool, cache, settings))
    host.serve(api.ACCOUNT_CONFIRMATION_RESEND, ResendConfirmationMail(pool, cache, settings))

    setup = FirstRunSetup(CreateNetwork(pool, settings))
    host.serve(api.INSTANCE_STATE, setup.state)
    host.serve(api.INSTANCE_SET_UP, setup)

    domains = ClaimedDomains(pool)
    host.serve(api.NETWORK_DOMAINS, domains.list)
    host.serve(api.NETWORK_DOMAIN_CLAIM, domains.claim)
    host.serve(api.NETWORK_DOMAIN_RELEASE, domains.release)

    approvals = Approvals(pool, cache, settings)
    host.serve(api.NETWORK_REQUESTS, approvals.waiting)
    host.serve(api.NETWORK_REQUEST_APPROVE, approvals.approve)
    host.serve(api.NETWORK_REQUEST_REJECT, approvals.reject)
