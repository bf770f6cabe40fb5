import { HomeTabs } from '../components/home-tabs.tsx';

/** The home's automations (list). */
export function AutomationsPage({ homeId }: { homeId: string }) {
  return (
    <div class="page">
      <HomeTabs homeId={homeId} current="automations" />
    </div>
  );
}

/** One automation: the editor (`new` creates one) and its run history. */
export function AutomationPage({ homeId }: { homeId: string; automationId: string }) {
  return (
    <div class="page">
      <HomeTabs homeId={homeId} current="automations" />
    </div>
  );
}
