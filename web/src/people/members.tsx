import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, session, type Home, type HomeRole } from '../api.ts';
import { HomeSectionPending, HomeTabs, useSectionHome } from '../components/home-tabs.tsx';
import { ErrorMessage, Loading, Section } from '../components/status.tsx';
import { formatDateTime } from '../format.ts';
import { useResource } from '../hooks.ts';
import { useI18n, type Translate } from '../i18n.ts';
import { loadHomes } from '../state.ts';
import { useStore } from '../store.ts';
import { peopleErrorText, type Invitation, type Member } from './api.ts';
import { ConfirmDialog, FormError } from './shared.tsx';
import './people.css';
import { TextField, useSubmission } from '../components/form.tsx';
import { useRowAction, Table } from '../components/list.tsx';

type InvitedRole = Exclude<HomeRole, 'owner'>;
const INVITED_ROLES: readonly InvitedRole[] = ['member', 'guest'];

/** What the caller may do here, as the API decides it (src/services/homes.ts). */
function rightsOf(home: Home) {
  // Owners manage the home; so does the provider's staff (no role in the home).
  const manage = home.role === 'owner' || home.role === null;
  return { manage, leave: home.role === 'member' || home.role === 'guest' };
}

/** A question waiting for its answer before a destructive action. */
type Pending =
  | { kind: 'remove'; member: Member }
  | { kind: 'transfer'; member: Member }
  | { kind: 'leave'; member: Member }
  | { kind: 'revoke'; invitation: Invitation };

function memberName(member: Member): string {
  return member.name || member.email;
}

/** `/homes/:homeId/members`: the people of a home, their roles and its open invitations. */
export function MembersPage({ homeId }: { homeId: string }) {
  const { t } = useI18n();
  const home = useSectionHome<Home>(homeId, t('members.title'));
  const loaded = home.state.data;
  if (loaded === undefined) return <HomeSectionPending home={home} homeId={homeId} current="members" />;

  return (
    <div class="page people-members" data-testid="members-page">
      <div class="page-head">
        <h1>{loaded.name}</h1>
      </div>
      <HomeTabs homeId={homeId} current="members" />
      <MembersBody home={loaded} onHomeChanged={() => home.reload(true)} />
    </div>
  );
}

function MembersBody({ home, onHomeChanged }: { home: Home; onHomeChanged: () => void }) {
  const { t } = useI18n();
  const { route } = useLocation();
  const me = useStore(session)?.user.id;
  const base = `/v1/homes/${encodeURIComponent(home.id)}`;
  const rights = rightsOf(home);
  const members = useResource(
    (signal) => api.get<{ items: Member[] }>(`${base}/members`, { signal }).then((page) => page.items),
    [home.id],
  );
  const invitations = useResource(
    (signal) =>
      rights.manage
        ? api.get<{ items: Invitation[] }>(`${base}/invitations`, { signal }).then((page) => page.items)
        : Promise.resolve([]),
    [home.id, rights.manage],
  );
  const { busyId, error: rowError, run: runRow } = useRowAction();
  const [pending, setPending] = useState<Pending | null>(null);
  const [pendingBusy, setPendingBusy] = useState(false);
  const [pendingError, setPendingError] = useState<unknown>(null);

  const changeRole = async (member: Member, role: InvitedRole) => {
    await runRow(member.userId, async () => {
      await api.patch(`${base}/members/${encodeURIComponent(member.userId)}`, { role });
      members.update((list) => list.map((m) => (m.userId === member.userId ? { ...m, role } : m)));
    });
  };

  const ask = (question: Pending) => {
    setPendingError(null);
    setPending(question);
  };

  const answer = async () => {
    if (!pending) return;
    setPendingBusy(true);
    setPendingError(null);
    try {
      switch (pending.kind) {
        case 'remove':
          await api.delete(`${base}/members/${encodeURIComponent(pending.member.userId)}`);
          members.update((list) => list.filter((m) => m.userId !== pending.member.userId));
          break;
        case 'leave':
          await api.delete(`${base}/members/${encodeURIComponent(pending.member.userId)}`);
          await loadHomes();
          route('/', true);
          return;
        case 'transfer':
          await api.post(`${base}/transfer`, { userId: pending.member.userId });
          void loadHomes();
          members.reload(true);
          onHomeChanged();
          break;
        case 'revoke':
          await api.delete(`${base}/invitations/${encodeURIComponent(pending.invitation.id)}`);
          invitations.update((list) => list.filter((i) => i.id !== pending.invitation.id));
          break;
      }
      setPending(null);
    } catch (failure) {
      setPendingError(failure);
    } finally {
      setPendingBusy(false);
    }
  };

  const myRow = members.state.data?.find((m) => m.userId === me);

  return (
    <>
      <Section title={t('members.title')} id="members-heading">
        {members.state.status === 'error' && (
          <ErrorMessage error={members.state.error} onRetry={() => members.reload()} />
        )}
        {members.state.data === undefined ? (
          members.state.status === 'loading' && <Loading />
        ) : (
          <>
            {rowError !== null && (
              <p class="notice notice-error" role="alert">
                {peopleErrorText(rowError, t)}
              </p>
            )}
            <MemberTable
              members={members.state.data}
              me={me}
              manage={rights.manage}
              busyId={busyId}
              onRole={(member, role) => void changeRole(member, role)}
              onRemove={(member) => ask({ kind: 'remove', member })}
              onTransfer={(member) => ask({ kind: 'transfer', member })}
            />
          </>
        )}
        {rights.leave && myRow && (
          <p class="people-leave">
            <button
              type="button"
              class="button"
              data-testid="leave-home"
              onClick={() => ask({ kind: 'leave', member: myRow })}
            >
              {t('members.leave')}
            </button>
          </p>
        )}
      </Section>

      {rights.manage && (
        <Section title={t('invite.title')} id="invitations-heading">
          <InviteForm
            homeId={home.id}
            onInvited={(invitation) => invitations.update((list) => [invitation, ...list])}
          />
          {invitations.state.status === 'error' && (
            <ErrorMessage error={invitations.state.error} onRetry={() => invitations.reload()} />
          )}
          {invitations.state.data === undefined ? (
            invitations.state.status === 'loading' && <Loading />
          ) : (
            <InvitationList
              invitations={invitations.state.data}
              me={me}
              timezone={home.timezone}
              onRevoke={(invitation) => ask({ kind: 'revoke', invitation })}
            />
          )}
        </Section>
      )}

      {pending && (
        <PendingDialog
          pending={pending}
          homeName={home.name}
          busy={pendingBusy}
          error={pendingError}
          onConfirm={() => void answer()}
          onCancel={() => setPending(null)}
        />
      )}
    </>
  );
}

function MemberTable(props: {
  members: Member[];
  me: string | undefined;
  manage: boolean;
  busyId: string | null;
  onRole: (member: Member, role: InvitedRole) => void;
  onRemove: (member: Member) => void;
  onTransfer: (member: Member) => void;
}) {
  const { t, locale } = useI18n();
  if (props.members.length === 0) return <p class="empty">{t('members.empty')}</p>;
  return (
    <Table
      testId="members-table"
      class="people-table"
      columns={[
        t('members.person'),
        t('members.role'),
        { label: t('members.joined'), class: 'people-wide-only' },
        props.manage && t('members.actions'),
      ]}
    >
      {props.members.map((member) => {
        const busy = props.busyId === member.userId;
        const editable = props.manage && member.role !== 'owner';
        return (
          <tr
            key={member.userId}
            data-testid={`member-${member.email}`}
            data-role={member.role}
            data-user-id={member.userId}
          >
            <th scope="row">
              {member.name ?? member.email}
              {member.userId === props.me && <span class="muted"> {t('members.you')}</span>}
              {member.name && <div class="muted small people-email">{member.email}</div>}
            </th>
            <td>
              {editable ? (
                <select
                  aria-label={t('members.roleOf', { name: memberName(member) })}
                  data-testid="member-role"
                  value={member.role}
                  disabled={busy}
                  onChange={(event) => props.onRole(member, event.currentTarget.value as InvitedRole)}
                >
                  {INVITED_ROLES.map((role) => (
                    <option key={role} value={role}>
                      {t(`homes.role.${role}`)}
                    </option>
                  ))}
                </select>
              ) : (
                <span class={`badge people-role people-role-${member.role}`}>
                  {t(`homes.role.${member.role}`)}
                </span>
              )}
            </td>
            <td class="people-wide-only">{formatDateTime(member.joinedAt, locale)}</td>
            {props.manage && (
              <td>
                {editable && (
                  <div class="row-actions">
                    <button
                      type="button"
                      class="button button-small"
                      disabled={busy}
                      data-testid="member-transfer"
                      onClick={() => props.onTransfer(member)}
                      aria-label={t('members.transferTo', { name: memberName(member) })}
                    >
                      {t('members.transfer')}
                    </button>
                    <button
                      type="button"
                      class="button button-small"
                      disabled={busy}
                      data-testid="member-remove"
                      onClick={() => props.onRemove(member)}
                      aria-label={t('members.removeWho', { name: memberName(member) })}
                    >
                      {t('members.remove')}
                    </button>
                  </div>
                )}
              </td>
            )}
          </tr>
        );
      })}
    </Table>
  );
}

function InviteForm(props: { homeId: string; onInvited: (invitation: Invitation) => void }) {
  const { t } = useI18n();
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<InvitedRole>('member');
  const { busy, error, run } = useSubmission();
  const [sentTo, setSentTo] = useState<string | null>(null);

  const submit = async (event: Event) => {
    event.preventDefault();
    setSentTo(null);
    await run(async () => {
      const invitation = await api.post<Invitation>(
        `/v1/homes/${encodeURIComponent(props.homeId)}/invitations`,
        { email: email.trim(), role },
      );
      props.onInvited(invitation);
      setSentTo(invitation.email);
      setEmail('');
    });
  };

  return (
    <form class="card people-invite" data-testid="invite-form" onSubmit={(event) => void submit(event)}>
      <div class="people-invite-fields">
        <TextField
          id="invite-email"
          label={t('invite.email')}
          name="email"
          type="email"
          autocomplete="off"
          autocapitalize="none"
          spellcheck={false}
          required
          maxLength={320}
          value={email}
          onValue={setEmail}
        />
        <div class="field">
          <label for="invite-role">{t('invite.role')}</label>
          <select
            id="invite-role"
            name="role"
            value={role}
            onChange={(event) => setRole(event.currentTarget.value as InvitedRole)}
          >
            {INVITED_ROLES.map((option) => (
              <option key={option} value={option}>
                {t(`homes.role.${option}`)}
              </option>
            ))}
          </select>
        </div>
        <button type="submit" class="button button-primary" disabled={busy} data-testid="invite-submit">
          {busy ? t('invite.sending') : t('invite.submit')}
        </button>
      </div>
      <p class="hint">{t('invite.roleHint')}</p>
      <FormError error={error} />
      {sentTo !== null && (
        <p class="notice notice-ok" role="status" data-testid="invite-sent">
          {t('invite.sent', { email: sentTo })}
        </p>
      )}
    </form>
  );
}

/** Who sent an invitation: their name (or address), "(you)" for the caller. */
function InvitedBy({ invitation, me }: { invitation: Invitation; me: string | undefined }) {
  const { t } = useI18n();
  const inviter = invitation.invitedBy;
  if (!inviter) return <span class="muted">{t('invite.invitedBy.unknown')}</span>;
  return (
    <>
      {inviter.name ?? inviter.email}
      {inviter.id === me && <span class="muted"> {t('members.you')}</span>}
    </>
  );
}

function InvitationList(props: {
  invitations: Invitation[];
  me: string | undefined;
  timezone: string;
  onRevoke: (invitation: Invitation) => void;
}) {
  const { t, locale } = useI18n();
  return (
    <>
      <h3 class="people-subhead">{t('invite.pending')}</h3>
      {props.invitations.length === 0 ? (
        <p class="empty" data-testid="invitations-empty">
          {t('invite.none')}
        </p>
      ) : (
        <Table
          testId="invitations-table"
          class="people-table"
          columns={[
            t('invite.email'),
            t('invite.role'),
            t('invite.invitedBy'),
            t('invite.expires'),
            t('members.actions'),
          ]}
        >
          {props.invitations.map((invitation) => (
            <tr key={invitation.id} data-testid={`invitation-${invitation.email}`}>
              <th scope="row" class="people-email">
                {invitation.email}
              </th>
              <td>
                {invitation.role === 'member' || invitation.role === 'guest'
                  ? t(`homes.role.${invitation.role}`)
                  : invitation.role}
              </td>
              <td class="people-email" data-testid="invitation-invited-by">
                <InvitedBy invitation={invitation} me={props.me} />
              </td>
              <td>
                <time dateTime={invitation.expiresAt}>
                  {formatDateTime(invitation.expiresAt, locale, props.timezone)}
                </time>
              </td>
              <td>
                <button
                  type="button"
                  class="button button-small"
                  data-testid="invitation-revoke"
                  aria-label={t('invite.revokeFor', { email: invitation.email })}
                  onClick={() => props.onRevoke(invitation)}
                >
                  {t('invite.revoke')}
                </button>
              </td>
            </tr>
          ))}
        </Table>
      )}
    </>
  );
}

/** What the confirmation of a pending action asks: its test id, title, button and text. */
function questionOf(
  pending: Pending,
  homeName: string,
  t: Translate,
): { testId: string; title: string; confirmText: string; text: string } {
  switch (pending.kind) {
    case 'remove': {
      const name = memberName(pending.member);
      return {
        testId: 'confirm-remove',
        title: t('members.remove.title', { name }),
        confirmText: t('members.remove'),
        text: t('members.remove.text', { name, home: homeName }),
      };
    }
    case 'transfer': {
      const name = memberName(pending.member);
      return {
        testId: 'confirm-transfer',
        title: t('members.transfer.title', { name }),
        confirmText: t('members.transfer.confirm'),
        text: t('members.transfer.text', { name, home: homeName }),
      };
    }
    case 'leave':
      return {
        testId: 'confirm-leave',
        title: t('members.leave.title', { home: homeName }),
        confirmText: t('members.leave'),
        text: t('members.leave.text', { home: homeName }),
      };
    case 'revoke':
      return {
        testId: 'confirm-revoke',
        title: t('invite.revoke.title'),
        confirmText: t('invite.revoke'),
        text: t('invite.revoke.text', { email: pending.invitation.email }),
      };
  }
}

function PendingDialog(props: {
  pending: Pending;
  homeName: string;
  busy: boolean;
  error: unknown;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const { t } = useI18n();
  const { text, ...question } = questionOf(props.pending, props.homeName, t);
  return (
    <ConfirmDialog
      {...question}
      busy={props.busy}
      error={props.error}
      onConfirm={props.onConfirm}
      onCancel={props.onCancel}
    >
      <p>{text}</p>
    </ConfirmDialog>
  );
}
