import { randomUUID } from 'node:crypto';
import type { AppContext } from '../core/context.ts';
import type { Invitation, Role } from '../core/domain/person.ts';
import type { HomeRole } from '../core/domain/home.ts';
import { HestiaError } from '../core/errors.ts';
import type { Language } from '../core/messages.ts';
import type { MailPort } from '../core/ports/mail.ts';
import { invitationMail } from './mail-templates.ts';
import { validateEmail, type AccountService, type SessionTokens } from './accounts.ts';
import type { AuditService } from './audit.ts';
import type { Principal, RequestOrigin } from './principal.ts';
import { hashToken, newToken } from './secrets.ts';

export type AcceptResult =
  | { kind: 'new_account'; invitation: Invitation; session: SessionTokens }
  | { kind: 'joined'; invitation: Invitation };

/** The person who sent an invitation, as the people who manage it see them. */
export interface Inviter {
  id: string;
  name: string | null;
  email: string;
}

/** What the holder of an invitation's token needs to decide, before accepting it. */
export interface InvitationPreview {
  email: string;
  kind: 'home' | 'tenant';
  /** The provider's branding display name, else its name. */
  tenantName: string;
  /** The provider's short name, which its people log in with. */
  tenantSlug: string;
  homeName: string | null;
  role: Role | HomeRole;
  /** Null when an API key or the system invited, or the inviter's account is gone. */
  invitedBy: { name: string | null; email: string } | null;
  expiresAtMs: number;
  /** Whether the invited address has an account with the provider: if so, accept signed in as it. */
  accountExists: boolean;
  language: Language | null;
}

export interface InvitationDeps {
  accounts: AccountService;
  audit: AuditService;
  mailer: MailPort;
}

/**
 * Invitations by mail: to a tenant (as user or tenant admin, sent by its admins) or to a home
 * (as member or guest, sent by its owner). The mailed token is the proof of the address; an
 * invitee without an account chooses a password when accepting, one with an account accepts
 * while signed in as that account.
 */
export class InvitationService {
  constructor(
    private readonly ctx: AppContext,
    private readonly deps: InvitationDeps,
  ) {}

  private get directory() {
    return this.ctx.store.directory;
  }

  async inviteToTenant(
    principal: Principal | null,
    tenantId: string,
    input: { email: string; role: Role; language?: Language | null | undefined },
    origin: RequestOrigin,
  ): Promise<Invitation> {
    if (input.role === 'platform_admin')
      throw new HestiaError('HESTIA_FORBIDDEN', 'Platform administrators are not invited into a tenant');
    const email = validateEmail(input.email);
    if (await this.directory.people.findUserByEmail(tenantId, email))
      throw new HestiaError('HESTIA_CONFLICT', `An account with email ${email} already exists`);
    const invitation = await this.create(
      principal,
      { tenantId, homeId: null, email, role: input.role },
      null,
      input.language,
    );
    await this.deps.audit.record({
      tenantId,
      action: 'user.invited',
      actor: principal ?? { kind: 'system' },
      origin,
      target: { type: 'invitation', id: invitation.id },
      detail: { role: input.role },
    });
    return invitation;
  }

  async inviteToHome(
    principal: Principal,
    home: { id: string; tenantId: string; name: string },
    input: { email: string; role: HomeRole; language?: Language | null | undefined },
    origin: RequestOrigin,
  ): Promise<Invitation> {
    if (input.role === 'owner')
      throw new HestiaError(
        'HESTIA_VALIDATION_FAILED',
        'role: member or guest (ownership is transferred, not invited)',
      );
    const email = validateEmail(input.email);
    const existing = await this.directory.people.findUserByEmail(home.tenantId, email);
    if (existing && (await this.directory.homes.findMemberRole(home.id, existing.id)))
      throw new HestiaError('HESTIA_CONFLICT', `${email} is already a member of this home`);
    const invitation = await this.create(
      principal,
      { tenantId: home.tenantId, homeId: home.id, email, role: input.role },
      home.name,
      input.language,
    );
    await this.deps.audit.record({
      tenantId: home.tenantId,
      action: 'home.member_invited',
      actor: principal,
      origin,
      homeId: home.id,
      target: { type: 'invitation', id: invitation.id },
      detail: { role: input.role },
    });
    return invitation;
  }

  /**
   * Stores and mails an invitation, in `language` when given, else in the inviter's language
   * (the default for an API key or the system).
   */
  private async create(
    principal: Principal | null,
    input: { tenantId: string; homeId: string | null; email: string; role: Role | HomeRole },
    homeName: string | null,
    language: Language | null | undefined,
  ): Promise<Invitation> {
    const now = this.ctx.clock.now();
    const ttlSeconds = this.ctx.config.auth.invitationTtlSeconds;
    const token = newToken('hin');
    const inviter =
      principal?.kind === 'user' ? await this.directory.people.findUser(principal.userId) : undefined;
    const invitation: Invitation = {
      id: randomUUID(),
      ...input,
      invitedBy: principal?.kind === 'user' ? principal.userId : null,
      language: language ?? inviter?.language ?? null,
      createdAtMs: now,
      expiresAtMs: now + ttlSeconds * 1000,
      acceptedAtMs: null,
      revokedAtMs: null,
    };
    await this.directory.invitations.createInvitation({ ...invitation, tokenHash: hashToken(token) });
    await this.deps.accounts.sendQuietly(
      { email: input.email, id: invitation.id },
      invitationMail({
        brandName: await this.deps.accounts.brandName(input.tenantId),
        appUrl: this.ctx.config.mail.appUrl,
        token,
        inviterEmail: inviter?.email ?? (await this.deps.accounts.brandName(input.tenantId)),
        homeName,
        role: input.role,
        expiresInDays: Math.max(1, Math.round(ttlSeconds / 86_400)),
        language: invitation.language,
      }),
    );
    return invitation;
  }

  /**
   * What an invitation offers, for its token's holder to decide on; the same answer as
   * `accept` for a token that cannot be accepted. A read: nothing is audited.
   */
  async preview(token: string): Promise<InvitationPreview> {
    const invitation = await this.findOpen(token, this.ctx.clock.now());
    const tenant = await this.deps.accounts.activeTenant(invitation.tenantId);
    const home = invitation.homeId ? await this.directory.homes.findHome(invitation.homeId) : null;
    const inviter = invitation.invitedBy
      ? await this.directory.people.findUser(invitation.invitedBy)
      : undefined;
    return {
      email: invitation.email,
      kind: invitation.homeId ? 'home' : 'tenant',
      tenantName: tenant.branding.displayName ?? tenant.name,
      tenantSlug: tenant.slug,
      homeName: home?.name ?? null,
      role: invitation.role,
      invitedBy: inviter ? { name: inviter.name, email: inviter.email } : null,
      expiresAtMs: invitation.expiresAtMs,
      accountExists: (await this.directory.people.findUserByEmail(tenant.id, invitation.email)) !== undefined,
      language: invitation.language,
    };
  }

  /** The invitation of a mailed token, if it can still be accepted. */
  private async findOpen(token: string, now: number): Promise<Invitation> {
    const invitation = await this.directory.invitations.findInvitationByToken(hashToken(token));
    if (
      !invitation ||
      invitation.acceptedAtMs !== null ||
      invitation.revokedAtMs !== null ||
      invitation.expiresAtMs <= now
    )
      throw new HestiaError('HESTIA_TOKEN_INVALID');
    return invitation;
  }

  /**
   * Accepts an invitation once. Without an account in the tenant, `password` creates one and
   * signs it in (in `language`, else the invitation's); with one, the caller must be signed in
   * as that account (401 without a session, 403 HESTIA_INVITATION_OTHER_ACCOUNT with another's).
   */
  async accept(
    principal: Principal | undefined,
    input: {
      token: string;
      password?: string | undefined;
      name?: string | undefined;
      language?: Language | null | undefined;
    },
    origin: RequestOrigin,
  ): Promise<AcceptResult> {
    const now = this.ctx.clock.now();
    const invitation = await this.findOpen(input.token, now);
    const tenant = await this.deps.accounts.activeTenant(invitation.tenantId);
    const existing = await this.directory.people.findUserByEmail(tenant.id, invitation.email);
    if (existing) {
      // 401 only without any session: a client takes 401 for an expired token and renews it,
      // which cannot help when the session is valid but belongs to someone else.
      if (!principal)
        throw new HestiaError(
          'HESTIA_UNAUTHENTICATED',
          `Sign in as ${invitation.email} to accept this invitation`,
        );
      if (principal.kind !== 'user' || principal.userId !== existing.id)
        throw new HestiaError('HESTIA_INVITATION_OTHER_ACCOUNT');
      if (!invitation.homeId)
        throw new HestiaError('HESTIA_CONFLICT', 'You already have an account with this provider');
      await this.claimInvitation(invitation, now);
      await this.joinHome(invitation, existing.id, origin, principal);
      return { kind: 'joined', invitation };
    }
    if (input.password === undefined)
      throw new HestiaError('HESTIA_VALIDATION_FAILED', 'password: required to create the invited account');
    const role: Role = invitation.homeId ? 'user' : (invitation.role as Role);
    // Validate (and fail) before the invitation is spent.
    const user = await this.deps.accounts.createUser({
      tenantId: tenant.id,
      email: invitation.email,
      password: input.password,
      name: input.name ?? null,
      role,
      language: input.language !== undefined ? input.language : invitation.language,
    });
    await this.claimInvitation(invitation, now);
    await this.deps.audit.record({
      tenantId: tenant.id,
      action: 'user.joined',
      actor: { kind: 'anonymous', id: user.id },
      origin,
      target: { type: 'user', id: user.id },
      detail: { role, invitationId: invitation.id },
    });
    if (invitation.homeId)
      await this.joinHome(invitation, user.id, origin, { kind: 'anonymous', id: user.id });
    const session = await this.deps.accounts.login(
      { email: invitation.email, password: input.password, tenant: tenant.id },
      origin,
    );
    return { kind: 'new_account', invitation, session };
  }

  private async claimInvitation(invitation: Invitation, now: number): Promise<void> {
    if (!(await this.directory.invitations.markInvitationAccepted(invitation.id, now)))
      throw new HestiaError('HESTIA_TOKEN_INVALID');
  }

  private async joinHome(
    invitation: Invitation,
    userId: string,
    origin: RequestOrigin,
    actor: Principal | { kind: 'anonymous'; id: string },
  ): Promise<void> {
    await this.directory.homes.addMember({
      homeId: invitation.homeId!,
      userId,
      tenantId: invitation.tenantId,
      role: invitation.role as HomeRole,
      atMs: this.ctx.clock.now(),
    });
    await this.deps.audit.record({
      tenantId: invitation.tenantId,
      action: 'home.member_joined',
      actor,
      origin,
      homeId: invitation.homeId,
      target: { type: 'user', id: userId },
      detail: { role: invitation.role },
    });
  }

  async listOpen(tenantId: string, homeId: string | null): Promise<Invitation[]> {
    return this.directory.invitations.listOpenInvitations(tenantId, homeId, this.ctx.clock.now());
  }

  /** The inviters of `invitations` by user id; an inviter whose account is gone is left out. */
  async invitersOf(invitations: readonly Invitation[]): Promise<Map<string, Inviter>> {
    const inviters = new Map<string, Inviter>();
    const ids = new Set(invitations.flatMap((invitation) => invitation.invitedBy ?? []));
    for (const id of ids) {
      const user = await this.directory.people.findUser(id);
      if (user) inviters.set(id, { id: user.id, name: user.name, email: user.email });
    }
    return inviters;
  }

  async revoke(tenantId: string, homeId: string | null, invitationId: string): Promise<void> {
    const invitation = await this.directory.invitations.findInvitation(tenantId, invitationId);
    if (!invitation || invitation.homeId !== homeId)
      throw new HestiaError('HESTIA_NOT_FOUND', 'No such invitation');
    await this.directory.invitations.revokeInvitation(invitationId, this.ctx.clock.now());
  }
}
