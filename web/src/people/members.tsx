import { HomeTabs } from '../components/home-tabs.tsx';

/** The home's members and its open invitations. */
export function MembersPage({ homeId }: { homeId: string }) {
  return (
    <div class="page">
      <HomeTabs homeId={homeId} current="members" />
    </div>
  );
}
