import { useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiError, type Gateway, type Room } from '../api.ts';
import { ConfirmDialog } from '../components/dialog.tsx';
import { TextField, useSubmission } from '../components/form.tsx';
import { HomeSectionPending, HomeTabs, useSectionHome } from '../components/home-tabs.tsx';
import { ErrorMessage, Loading, Section } from '../components/status.tsx';
import { useResource } from '../hooks.ts';
import { useI18n } from '../i18n.ts';
import { loadHomes } from '../state.ts';
import {
  canManage,
  FormProblem,
  onboardingErrorText,
  type GatewayDeletion,
  type HomeWithLocation,
} from './api.ts';
import { draftOf, FormError, HomeFields, homeInputOf, type HomeDraft } from './home-form.tsx';
import './onboarding.css';

/** `/homes/:homeId/settings`: name, time zone, location and rooms; deleting the home (owners). */
export function HomeSettingsPage({ homeId }: { homeId: string }) {
  const { t } = useI18n();
  const home = useSectionHome<HomeWithLocation>(homeId, t('homeSettings.title'));
  const loaded = home.state.data;
  if (loaded === undefined) return <HomeSectionPending home={home} homeId={homeId} current="settings" />;

  const manage = canManage(loaded);
  return (
    <div class="page" data-testid="home-settings">
      <div class="page-head">
        <h1>{loaded.name}</h1>
      </div>
      <HomeTabs homeId={homeId} current="settings" />
      {home.state.status === 'error' && (
        <ErrorMessage error={home.state.error} onRetry={() => home.reload()} />
      )}
      <Section title={t('homeSettings.details')} id="home-settings-details">
        {manage ? (
          <HomeDetailsForm
            home={loaded}
            onSaved={(saved) => {
              home.update(() => saved);
              void loadHomes();
            }}
          />
        ) : (
          <HomeDetails home={loaded} />
        )}
      </Section>
      <Section title={t('rooms.title')} id="home-settings-rooms">
        <Rooms homeId={loaded.id} manage={manage} />
      </Section>
      {manage && (
        <Section title={t('homeSettings.delete')} id="home-settings-delete">
          <DeleteHome home={loaded} />
        </Section>
      )}
    </div>
  );
}

/** The settings as the home's members and guests see them. */
function HomeDetails({ home }: { home: HomeWithLocation }) {
  const { t, locale } = useI18n();
  const coordinates =
    home.latitude === null || home.longitude === null
      ? t('homeSettings.noLocation')
      : [home.latitude, home.longitude]
          .map((value) => new Intl.NumberFormat(locale, { maximumFractionDigits: 6 }).format(value))
          .join(', ');
  return (
    <div data-testid="home-details-readonly">
      <p class="muted">{t('homeSettings.readOnly')}</p>
      <dl class="onboarding-facts">
        <dt>{t('homeSettings.name')}</dt>
        <dd>{home.name}</dd>
        <dt>{t('homeSettings.timezone')}</dt>
        <dd data-testid="home-timezone">{home.timezone}</dd>
        <dt>{t('homeSettings.location')}</dt>
        <dd data-testid="home-location">{coordinates}</dd>
      </dl>
      <p class="hint">{t('homeSettings.locationHint')}</p>
    </div>
  );
}

function HomeDetailsForm(props: { home: HomeWithLocation; onSaved: (home: HomeWithLocation) => void }) {
  const { t } = useI18n();
  const { home } = props;
  const [draft, setDraft] = useState<HomeDraft>(() => draftOf(home));
  const [saved, setSaved] = useState(false);
  const { busy, error, run } = useSubmission();

  const submit = (event: Event) => {
    event.preventDefault();
    setSaved(false);
    void run(async () => {
      const input = homeInputOf(draft, t);
      const updated = await api.patch<HomeWithLocation>(`/v1/homes/${encodeURIComponent(home.id)}`, input);
      setDraft(draftOf(updated));
      setSaved(true);
      props.onSaved({ ...home, ...updated });
    });
  };

  return (
    <form class="card onboarding-form" onSubmit={submit} noValidate data-testid="home-details-form">
      <HomeFields
        idPrefix="home-settings"
        draft={draft}
        onDraft={(next) => {
          setSaved(false);
          setDraft(next);
        }}
      />
      <FormError error={error} />
      {saved && (
        <p class="notice notice-ok" role="status" data-testid="home-saved">
          {t('homeSettings.saved')}
        </p>
      )}
      <button type="submit" class="button button-primary" disabled={busy}>
        {busy ? t('common.saving') : t('homeSettings.save')}
      </button>
    </form>
  );
}

// ---- rooms ----

function Rooms({ homeId, manage }: { homeId: string; manage: boolean }) {
  const { t } = useI18n();
  const base = `/v1/homes/${encodeURIComponent(homeId)}/rooms`;
  const rooms = useResource(
    (signal) => api.get<{ items: Room[] }>(base, { signal }).then((page) => page.items),
    [homeId],
  );
  const [newName, setNewName] = useState('');
  const adding = useSubmission();
  const [deleting, setDeleting] = useState<Room | null>(null);
  const removal = useSubmission();

  const add = (event: Event) => {
    event.preventDefault();
    void adding.run(async () => {
      const name = newName.trim();
      if (!name) throw new FormProblem(t('homeSettings.nameMissing'));
      const room = await api.post<Room>(base, { name });
      rooms.update((list) => [...list, room]);
      setNewName('');
    });
  };

  const remove = () => {
    const room = deleting;
    if (!room) return;
    void removal.run(async () => {
      await api.delete(`${base}/${encodeURIComponent(room.id)}`);
      rooms.update((list) => list.filter((r) => r.id !== room.id));
      setDeleting(null);
    });
  };

  const list = rooms.state.data;
  return (
    <div data-testid="rooms">
      <p class="muted">{t('rooms.intro')}</p>
      {list === undefined ? (
        rooms.state.status === 'error' ? (
          <ErrorMessage error={rooms.state.error} onRetry={() => rooms.reload()} />
        ) : (
          <Loading />
        )
      ) : list.length === 0 ? (
        <p class="empty" data-testid="rooms-empty">
          {t('rooms.empty')}
        </p>
      ) : (
        <ul class="onboarding-rooms" data-testid="rooms-list">
          {list.map((room) => (
            <RoomItem
              key={room.id}
              room={room}
              base={base}
              manage={manage}
              onRenamed={(renamed) =>
                rooms.update((all) => all.map((r) => (r.id === renamed.id ? renamed : r)))
              }
              onDelete={() => setDeleting(room)}
            />
          ))}
        </ul>
      )}
      {manage && (
        <form class="onboarding-add-room" onSubmit={add} noValidate data-testid="add-room-form">
          <TextField
            id="add-room-name"
            label={t('rooms.name')}
            name="room-name"
            maxLength={100}
            autocomplete="off"
            value={newName}
            onValue={setNewName}
          />
          <button type="submit" class="button" disabled={adding.busy}>
            {adding.busy ? t('rooms.adding') : t('rooms.add')}
          </button>
        </form>
      )}
      {manage && <FormError error={adding.error} />}
      {deleting && (
        <ConfirmDialog
          title={t('rooms.deleteTitle', { name: deleting.name })}
          testId="delete-room"
          confirmText={t('rooms.deleteConfirm')}
          busyText={t('rooms.deleting')}
          busy={removal.busy}
          error={removal.error === null ? null : onboardingErrorText(removal.error, t)}
          onConfirm={remove}
          onCancel={() => setDeleting(null)}
        >
          <p>{t('rooms.deleteText')}</p>
        </ConfirmDialog>
      )}
    </div>
  );
}

function RoomItem(props: {
  room: Room;
  base: string;
  manage: boolean;
  onRenamed: (room: Room) => void;
  onDelete: () => void;
}) {
  const { t } = useI18n();
  const { room } = props;
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(room.name);
  const { busy, error, run } = useSubmission();

  const save = (event: Event) => {
    event.preventDefault();
    void run(async () => {
      const trimmed = name.trim();
      if (!trimmed) throw new FormProblem(t('homeSettings.nameMissing'));
      const renamed = await api.patch<Room>(`${props.base}/${encodeURIComponent(room.id)}`, {
        name: trimmed,
      });
      props.onRenamed(renamed);
      setEditing(false);
    });
  };

  return (
    <li data-testid={`room-${room.id}`} data-name={room.name}>
      {editing ? (
        <form class="onboarding-rename" onSubmit={save} noValidate>
          <input
            aria-label={t('rooms.renameLabel', { name: room.name })}
            value={name}
            maxLength={100}
            autoFocus
            onInput={(event) => setName(event.currentTarget.value)}
            onKeyDown={(event) => {
              if (event.key === 'Escape') setEditing(false);
            }}
          />
          <button type="submit" class="button button-small button-primary" disabled={busy}>
            {busy ? t('common.saving') : t('rooms.save')}
          </button>
          <button type="button" class="button button-small" disabled={busy} onClick={() => setEditing(false)}>
            {t('common.cancel')}
          </button>
        </form>
      ) : (
        <span class="onboarding-room-name">{room.name}</span>
      )}
      {props.manage && !editing && (
        <span class="row-actions">
          <button
            type="button"
            class="button button-small"
            aria-label={`${t('rooms.rename')}: ${room.name}`}
            onClick={() => {
              setName(room.name);
              setEditing(true);
            }}
          >
            {t('rooms.rename')}
          </button>
          <button
            type="button"
            class="button button-small button-danger"
            aria-label={`${t('rooms.delete')}: ${room.name}`}
            onClick={props.onDelete}
          >
            {t('rooms.delete')}
          </button>
        </span>
      )}
      {error !== null && <FormError error={error} />}
    </li>
  );
}

// ---- deleting the home ----

/** What deleting the home takes with it: its gateways and what removing each deletes. */
interface DeletionPreview {
  gateways: Gateway[];
  devices: number;
  readings: number;
}

/**
 * Asks each gateway's removal what it would delete (the API answers 409
 * HESTIA_CONFIRMATION_REQUIRED with the counts, deleting nothing).
 */
async function previewDeletion(homeId: string, signal: AbortSignal): Promise<DeletionPreview> {
  const base = `/v1/homes/${encodeURIComponent(homeId)}/gateways`;
  const { items } = await api.get<{ items: Gateway[] }>(base, { signal });
  const preview: DeletionPreview = { gateways: items, devices: 0, readings: 0 };
  for (const gateway of items) {
    try {
      await api.delete(`${base}/${encodeURIComponent(gateway.id)}`, { signal });
      throw new Error(`the gateway ${gateway.id} was removed without confirmation`);
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'HESTIA_CONFIRMATION_REQUIRED')) throw error;
      const counts = error.details as Partial<GatewayDeletion> | undefined;
      preview.devices += counts?.devices ?? 0;
      preview.readings += counts?.readings ?? 0;
    }
  }
  return preview;
}

/**
 * The home goes once its gateways are removed (each removal deletes their data, confirmed with
 * the gateway's id as the API asks); the person types the home's name first.
 */
async function deleteHome(homeId: string, gateways: readonly Gateway[]): Promise<void> {
  const base = `/v1/homes/${encodeURIComponent(homeId)}`;
  for (const gateway of gateways)
    await api.delete(`${base}/gateways/${encodeURIComponent(gateway.id)}`, {
      query: { confirm: gateway.id },
    });
  await api.delete(base);
}

function DeleteHome({ home }: { home: HomeWithLocation }) {
  const { t } = useI18n();
  const [open, setOpen] = useState(false);
  return (
    <div class="card onboarding-danger" data-testid="delete-home">
      <p>{t('homeSettings.deleteIntro')}</p>
      <button
        type="button"
        class="button button-danger"
        data-testid="delete-home-open"
        onClick={() => setOpen(true)}
      >
        {t('homeSettings.deleteOpen')}
      </button>
      {open && <DeleteHomeDialog home={home} onCancel={() => setOpen(false)} />}
    </div>
  );
}

function DeleteHomeDialog({ home, onCancel }: { home: HomeWithLocation; onCancel: () => void }) {
  const { t } = useI18n();
  const { route } = useLocation();
  const preview = useResource((signal) => previewDeletion(home.id, signal), [home.id]);
  const [typed, setTyped] = useState('');
  const { busy, error, run } = useSubmission();
  const ready = preview.state.status === 'ready' ? preview.state.data : undefined;

  const confirm = (event?: Event) => {
    event?.preventDefault();
    if (!ready) return;
    void run(async () => {
      if (typed.trim() !== home.name.trim()) throw new FormProblem(t('homeSettings.deleteMismatch'));
      await deleteHome(home.id, ready.gateways);
      await loadHomes();
      route('/', true);
    });
  };

  return (
    <ConfirmDialog
      title={t('homeSettings.deleteTitle', { name: home.name })}
      testId="delete-home-dialog"
      confirmText={t('homeSettings.deleteConfirm')}
      busyText={t('homeSettings.deleting')}
      busy={busy}
      error={error === null ? null : onboardingErrorText(error, t)}
      onConfirm={() => confirm()}
      onCancel={onCancel}
    >
      {ready === undefined ? (
        preview.state.status === 'error' ? (
          <ErrorMessage error={preview.state.error} onRetry={() => preview.reload()} />
        ) : (
          <Loading label={t('homeSettings.deleteChecking')} />
        )
      ) : (
        <>
          <p data-testid="delete-home-what">
            {ready.gateways.length === 0
              ? t('homeSettings.deleteNoGateways')
              : t('homeSettings.deleteGateways', {
                  gateways: ready.gateways.length,
                  devices: ready.devices,
                  readings: ready.readings,
                })}
          </p>
          <form class="onboarding-confirm-name" onSubmit={confirm} noValidate>
            <TextField
              id="delete-home-name"
              label={t('homeSettings.deleteType', { name: home.name })}
              name="confirm-name"
              autocomplete="off"
              spellcheck={false}
              value={typed}
              onValue={setTyped}
            />
          </form>
        </>
      )}
    </ConfirmDialog>
  );
}
