/** The signed-in person's notification preferences. */
export function NotificationSettingsPage() {
  return <div class="page" />;
}
