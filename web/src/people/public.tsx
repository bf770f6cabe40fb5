/** Pages opened from a mailed link, with or without a session. */
export function AcceptInvitationPage() {
  return <div class="page" />;
}

export function ForgotPasswordPage() {
  return <div class="page" />;
}

export function ResetPasswordPage() {
  return <div class="page" />;
}
