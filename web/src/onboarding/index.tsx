import { HomeTabs } from '../components/home-tabs.tsx';

/** Signing up with a provider that allows it (standalone page). */
export function SignupPage() {
  return <div class="page" />;
}

/** A home's settings: name, time zone, location, rooms; deleting it (owners). */
export function HomeSettingsPage({ homeId }: { homeId: string }) {
  return (
    <div class="page">
      <HomeTabs homeId={homeId} current="settings" />
    </div>
  );
}
