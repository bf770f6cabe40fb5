/**
 * Every text Hestia writes to people (push, in-app and mail notifications, account mails), in
 * English and Simplified Chinese: one flat catalogue per language with the same keys, `{name}`
 * marking a parameter. `zh` is typed by the keys of `en`, so a text missing in Chinese (or one
 * Chinese has and English does not) is a type error; test/unit/messages.test.ts checks that each
 * text uses the same parameters in both. Texts people wrote themselves (an automation's
 * notification, a home's name) are never translated, only put into these.
 */

/** The languages Hestia writes in; a person without a choice gets `DEFAULT_LANGUAGE`. */
export const LANGUAGES = ['en', 'zh'] as const;
export type Language = (typeof LANGUAGES)[number];
export const DEFAULT_LANGUAGE: Language = 'en';

export function isLanguage(value: unknown): value is Language {
  return typeof value === 'string' && (LANGUAGES as readonly string[]).includes(value);
}

const en = {
  // ---- alarms: one title and body per cause ----
  'alarm.smoke.title': 'Smoke — {device}',
  'alarm.smoke.body': 'Smoke detected: {device} at {home}.',
  'alarm.co.title': 'Carbon monoxide — {device}',
  'alarm.co.body': 'Carbon monoxide detected: {device} at {home}.',
  'alarm.gas.title': 'Gas — {device}',
  'alarm.gas.body': 'Gas detected: {device} at {home}.',
  'alarm.water_leak.title': 'Water leak — {device}',
  'alarm.water_leak.body': 'Water leak detected: {device} at {home}.',
  'alarm.glass_break.title': 'Glass break — {device}',
  'alarm.glass_break.body': 'Glass break detected: {device} at {home}.',
  'alarm.intrusion_motion.title': 'Intrusion (motion) — {device}',
  'alarm.intrusion_motion.body': 'Intrusion (motion) while the home is armed: {device} at {home}.',
  'alarm.intrusion_door.title': 'Intrusion (door opened) — {device}',
  'alarm.intrusion_door.body': 'Intrusion (door opened) while the home is armed: {device} at {home}.',
  'alarm.heat.title': 'Heat — {device}',
  'alarm.heat.body': 'Heat detected ({value} °C): {device} at {home}.',
  'alarm.heat.unmeasured.title': 'Heat — {device}',
  'alarm.heat.unmeasured.body': 'Heat detected: {device} at {home}.',
  'alarm.freeze.title': 'Freeze risk — {device}',
  'alarm.freeze.body': 'Freeze risk detected ({value} °C): {device} at {home}.',
  'alarm.freeze.unmeasured.title': 'Freeze risk — {device}',
  'alarm.freeze.unmeasured.body': 'Freeze risk detected: {device} at {home}.',

  // ---- automations: loop protection stopped a rule ----
  'automation.stopped.loop.title': 'Automation "{automation}" was stopped',
  'automation.stopped.loop.body':
    'It was re-triggered by its own actions (through automations {causes}), so it has been disabled. Check its triggers and actions, then enable it again.',
  'automation.stopped.rate.title': 'Automation "{automation}" was stopped',
  'automation.stopped.rate.body':
    'It was more than {limit} runs in a minute, so it has been disabled. Check its triggers and actions, then enable it again.',

  // ---- cameras ----
  'camera.doorbell.title': 'Someone is at the door — {device}',
  'camera.doorbell.body': 'The doorbell rang at {home}.',

  // ---- a tenant administrator's test notification ----
  'notification.test.title': '{brand} test notification',
  'notification.test.body': 'This is a test of the {channel} channel.',

  // ---- a notification sent as a mail ----
  'mail.notification.critical': 'Alert',
  'mail.notification.warning': 'Warning',
  'mail.notification.info': 'Notice',
  'mail.notification.subject': '[{brand}] {severity}: {title}',
  'mail.notification.time': '{time} UTC',
  'mail.notification.footer': 'You receive this because of your notification settings in {brand}.',

  // ---- account mails ----
  'mail.signature': '— {brand}',
  'mail.minutes.one': '{count} minute',
  'mail.minutes.other': '{count} minutes',
  'mail.days.one': '{count} day',
  'mail.days.other': '{count} days',
  'mail.passwordReset.subject': 'Reset your {brand} password',
  'mail.passwordReset.request': 'Someone asked to reset the password of your {brand} account.',
  'mail.passwordReset.action': 'To choose a new password, open this link within {validity}:',
  'mail.passwordReset.button': 'Choose a new password',
  'mail.passwordReset.notYou': 'If you did not ask for this, ignore this mail: your password stays as it is.',
  'mail.invitation.subject.provider': 'You are invited to {brand}',
  'mail.invitation.subject.home': 'You are invited to the home “{home}” on {brand}',
  'mail.invitation.invited.provider': '{inviter} invited you to join {brand} as {role}.',
  'mail.invitation.invited.home': '{inviter} invited you to the home “{home}” on {brand} as {role}.',
  'mail.invitation.action': 'To accept, open this link within {validity}:',
  'mail.invitation.button': 'Accept the invitation',
  'mail.invitation.notExpected': 'If you do not expect this invitation, ignore this mail.',
  'mail.passwordChanged.subject': 'Your {brand} password was changed',
  'mail.passwordChanged.changed': 'The password of your {brand} account was just changed.',
  'mail.passwordChanged.ifYou': 'If you changed it, there is nothing to do.',
  'mail.passwordChanged.ifNotYou':
    'If you did not, someone else may know your password: reset it at once from the login page and tell your administrator.',
  'role.tenant_admin': 'tenant admin',
  'role.user': 'user',
  'role.member': 'member',
  'role.guest': 'guest',
} as const;

export type MessageKey = keyof typeof en;

const zh: Record<MessageKey, string> = {
  'alarm.smoke.title': '烟雾 — {device}',
  'alarm.smoke.body': '{home}的{device}检测到烟雾。',
  'alarm.co.title': '一氧化碳 — {device}',
  'alarm.co.body': '{home}的{device}检测到一氧化碳。',
  'alarm.gas.title': '燃气 — {device}',
  'alarm.gas.body': '{home}的{device}检测到燃气。',
  'alarm.water_leak.title': '漏水 — {device}',
  'alarm.water_leak.body': '{home}的{device}检测到漏水。',
  'alarm.glass_break.title': '玻璃破碎 — {device}',
  'alarm.glass_break.body': '{home}的{device}检测到玻璃破碎。',
  'alarm.intrusion_motion.title': '入侵（移动）— {device}',
  'alarm.intrusion_motion.body': '布防期间，{home}的{device}检测到移动。',
  'alarm.intrusion_door.title': '入侵（门被打开）— {device}',
  'alarm.intrusion_door.body': '布防期间，{home}的{device}检测到门被打开。',
  'alarm.heat.title': '高温 — {device}',
  'alarm.heat.body': '{home}的{device}检测到高温（{value} °C）。',
  'alarm.heat.unmeasured.title': '高温 — {device}',
  'alarm.heat.unmeasured.body': '{home}的{device}检测到高温。',
  'alarm.freeze.title': '冰冻风险 — {device}',
  'alarm.freeze.body': '{home}的{device}检测到冰冻风险（{value} °C）。',
  'alarm.freeze.unmeasured.title': '冰冻风险 — {device}',
  'alarm.freeze.unmeasured.body': '{home}的{device}检测到冰冻风险。',

  'automation.stopped.loop.title': '自动化“{automation}”已停止',
  'automation.stopped.loop.body':
    '它被自己的动作再次触发（经由自动化 {causes}），因此已被停用。请检查它的触发条件和动作，然后重新启用。',
  'automation.stopped.rate.title': '自动化“{automation}”已停止',
  'automation.stopped.rate.body':
    '它在一分钟内运行超过 {limit} 次，因此已被停用。请检查它的触发条件和动作，然后重新启用。',

  'camera.doorbell.title': '有人在门口 — {device}',
  'camera.doorbell.body': '{home} 的门铃响了。',
  'notification.test.title': '{brand} 测试通知',
  'notification.test.body': '这是对 {channel} 通道的测试。',

  'mail.notification.critical': '警报',
  'mail.notification.warning': '警告',
  'mail.notification.info': '通知',
  'mail.notification.subject': '[{brand}] {severity}：{title}',
  'mail.notification.time': '{time}（UTC）',
  'mail.notification.footer': '您收到此邮件，是因为您在 {brand} 中的通知设置。',

  'mail.signature': '— {brand}',
  'mail.minutes.one': '{count} 分钟',
  'mail.minutes.other': '{count} 分钟',
  'mail.days.one': '{count} 天',
  'mail.days.other': '{count} 天',
  'mail.passwordReset.subject': '重置您的 {brand} 密码',
  'mail.passwordReset.request': '有人请求重置您的 {brand} 账户密码。',
  'mail.passwordReset.action': '要设置新密码，请在 {validity}内打开此链接：',
  'mail.passwordReset.button': '设置新密码',
  'mail.passwordReset.notYou': '如果这不是您本人的请求，请忽略此邮件：您的密码不会改变。',
  'mail.invitation.subject.provider': '您受邀加入 {brand}',
  'mail.invitation.subject.home': '您受邀加入 {brand} 上的家庭“{home}”',
  'mail.invitation.invited.provider': '{inviter} 邀请您以{role}身份加入 {brand}。',
  'mail.invitation.invited.home': '{inviter} 邀请您以{role}身份加入 {brand} 上的家庭“{home}”。',
  'mail.invitation.action': '要接受邀请，请在 {validity}内打开此链接：',
  'mail.invitation.button': '接受邀请',
  'mail.invitation.notExpected': '如果您没有预料到这封邀请，请忽略此邮件。',
  'mail.passwordChanged.subject': '您的 {brand} 密码已更改',
  'mail.passwordChanged.changed': '您的 {brand} 账户密码刚刚被更改。',
  'mail.passwordChanged.ifYou': '如果是您本人更改的，无需任何操作。',
  'mail.passwordChanged.ifNotYou':
    '如果不是您本人，其他人可能知道您的密码：请立即从登录页面重置密码，并告知您的管理员。',
  'role.tenant_admin': '服务商管理员',
  'role.user': '用户',
  'role.member': '成员',
  'role.guest': '访客',
};

/** The catalogues, for the test that compares them; code renders through `translate`. */
export const CATALOGUES: Readonly<Record<Language, Readonly<Record<MessageKey, string>>>> = { en, zh };

export type MessageParams = Readonly<Record<string, string>>;

/** The text of `key` in `language` with its `{name}` parameters filled in (an unknown one stays as written). */
export function translate(language: Language, key: MessageKey, params: MessageParams = {}): string {
  return CATALOGUES[language][key].replace(/\{(\w+)\}/g, (token, name: string) => params[name] ?? token);
}

export function isMessageKey(value: unknown): value is MessageKey {
  return typeof value === 'string' && Object.hasOwn(en, value);
}

/** Keys whose `.title` and `.body` texts both exist: what a notification can be made of. */
export type NotificationMessageKey = {
  [K in MessageKey]: K extends `${infer Prefix}.title`
    ? `${Prefix}.body` extends MessageKey
      ? Prefix
      : never
    : never;
}[MessageKey];

/**
 * A notification as a key and parameters, kept on the outbox request so that each person gets
 * it in their own language when it is delivered.
 */
export interface NotificationMessage {
  key: NotificationMessageKey;
  params: MessageParams;
}

/**
 * The title and body of a notification in `language`; undefined for a key this version does not
 * know (a request written by a newer one), whose caller falls back to the request's own texts.
 */
export function renderNotification(
  message: { key: string; params: MessageParams },
  language: Language,
): { title: string; body: string } | undefined {
  const title = `${message.key}.title`;
  const body = `${message.key}.body`;
  if (!isMessageKey(title) || !isMessageKey(body)) return undefined;
  return {
    title: translate(language, title, message.params),
    body: translate(language, body, message.params),
  };
}

/** "1 minute", "30 minutes". */
export function countOf(language: Language, unit: 'minutes' | 'days', count: number): string {
  return translate(language, count === 1 ? `mail.${unit}.one` : `mail.${unit}.other`, {
    count: String(count),
  });
}
