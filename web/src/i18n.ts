import { createStore, storage, useStore } from './store.ts';

/**
 * Every visible text of the dashboard, in English and Simplified Chinese. `zh` must have
 * every key of `en` (a missing one is a type error). `{name}` in a text is a parameter.
 */
const en = {
  'app.name': 'Hestia',
  'app.skip': 'Skip to content',
  'nav.label': 'Main',
  'nav.homes': 'Homes',
  'header.home': 'Home',
  'header.language': 'Language',
  'header.logout': 'Log out',
  'header.signedInAs': 'Signed in as {email}',
  'live.connected': 'Live',
  'live.connecting': 'Connecting…',
  'live.offline': 'Offline, retrying',
  'live.label': 'Live updates: {state}',

  'common.loading': 'Loading…',
  'common.retry': 'Try again',
  'common.saving': 'Saving…',
  'common.close': 'Close',
  'common.never': 'never',
  'notFound.title': 'Page not found',
  'notFound.text': 'This page does not exist, or you have no access to it.',
  'notFound.back': 'Go to your homes',

  'login.title': 'Log in to Hestia',
  'login.provider': 'Provider',
  'login.providerHint':
    "Your service provider's short name, e.g. acme (empty for the platform administrator)",
  'login.email': 'Email',
  'login.password': 'Password',
  'login.submit': 'Log in',
  'login.submitting': 'Logging in…',
  'login.expired': 'Your session has ended. Please log in again.',

  'homes.title': 'Your homes',
  'homes.empty': 'You are not a member of any home yet.',
  'homes.role.owner': 'Owner',
  'homes.role.member': 'Member',
  'homes.role.guest': 'Guest',
  'homes.role.staff': 'Provider staff',

  'home.devices': 'Devices',
  'home.noRoom': 'Other devices',
  'home.noDevices': 'No devices yet. Register a gateway to this home and its devices appear here.',
  'home.openDevice': 'Details of {name}',
  'home.noReadings': 'No readings yet',
  'home.lastKnown': 'Last known value, {time}',
  'home.updated': 'Updated {time}',

  'availability.online': 'Online',
  'availability.stale': 'Stale',
  'availability.unavailable': 'Unavailable',

  'mode.label': 'Security mode',
  'mode.disarmed': 'Disarmed',
  'mode.home': 'Home',
  'mode.armed': 'Armed',
  'mode.guest': 'Guests cannot change the security mode.',

  'alarms.title': 'Active alarms',
  'alarms.acknowledge': 'Acknowledge',
  'alarms.acknowledged': 'Acknowledged',
  'alarms.raised': 'Raised {time}',
  'alarms.occurrences': '{count} times',
  'alarms.cause.smoke': 'Smoke',
  'alarms.cause.co': 'Carbon monoxide',
  'alarms.cause.gas': 'Gas',
  'alarms.cause.water_leak': 'Water leak',
  'alarms.cause.glass_break': 'Glass break',
  'alarms.cause.intrusion_motion': 'Intrusion (motion)',
  'alarms.cause.intrusion_door': 'Intrusion (door or window)',
  'alarms.cause.heat': 'Heat',
  'alarms.cause.freeze': 'Freeze',
  'alarms.severity.critical': 'Critical',
  'alarms.severity.warning': 'Warning',
  'alarms.severity.info': 'Information',

  'cap.temperature': 'Temperature',
  'cap.humidity': 'Humidity',
  'cap.illuminance': 'Illuminance',
  'cap.energy': 'Energy',
  'cap.power': 'Power',
  'cap.motion': 'Motion',
  'cap.contact': 'Door or window',
  'cap.water_leak': 'Water leak',
  'cap.smoke': 'Smoke',
  'cap.co': 'Carbon monoxide',
  'cap.gas': 'Gas',
  'cap.glass_break': 'Glass break',
  'cap.battery': 'Battery',
  'cap.switch': 'Switch',
  'cap.dimmer': 'Dimmer',
  'cap.lock': 'Lock',
  'cap.thermostat': 'Set-point',
  'cap.curtain': 'Curtain',

  'value.on': 'On',
  'value.off': 'Off',
  'value.open': 'Open',
  'value.closed': 'Closed',
  'value.motion': 'Motion',
  'value.clear': 'Clear',
  'value.leak': 'Leak',
  'value.dry': 'Dry',
  'value.detected': 'Detected',
  'value.locked': 'Locked',
  'value.unlocked': 'Unlocked',

  'device.back': 'Back to {home}',
  'device.lastHeard': 'Last heard {time}',
  'device.current': 'Now',
  'device.controls': 'Control',
  'device.guest': 'Guests can look but not control devices.',
  'device.noControls': 'This device cannot be controlled from here.',
  'device.history': 'History',
  'device.channel': 'Channel',
  'device.noChannels': 'This device has reported no values yet.',
  'device.chart45': 'Last 45 days',
  'device.chartHelp': 'Drag across the chart to zoom in; double-click or "Reset zoom" to see all 45 days.',
  'device.resetZoom': 'Reset zoom',
  'device.mean': 'Mean',
  'device.range': 'Min to max',
  'device.week': 'Daily mean, last 7 days',
  'device.energyMonth': 'Energy per day, this month',
  'device.energyYear': 'Energy per month, this year',
  'device.total': 'Total {value}',
  'device.noData': 'No data in this period.',
  'device.camera': 'Camera',

  'command.turnOn': 'Turn on',
  'command.turnOff': 'Turn off',
  'command.set': 'Set',
  'command.level': 'Level (%)',
  'command.setpoint': 'Set-point (°C)',
  'command.lock': 'Lock',
  'command.unlock': 'Unlock',
  'command.open': 'Open',
  'command.close': 'Close',
  'command.stop': 'Stop',
  'command.position': 'Position (%)',
  'command.status': 'Last command: {action}, {status}',
  'command.status.pending': 'waiting for the gateway',
  'command.status.sent': 'sent',
  'command.status.succeeded': 'done',
  'command.status.failed': 'failed',
  'command.status.timed_out': 'no answer in time',
  'command.action.turnOn': 'turn on',
  'command.action.turnOff': 'turn off',
  'command.action.toggle': 'toggle',
  'command.action.setLevel': 'set level',
  'command.action.setTemperature': 'set temperature',
  'command.action.setMode': 'set mode',
  'command.action.lock': 'lock',
  'command.action.unlock': 'unlock',
  'command.action.open': 'open',
  'command.action.close': 'close',
  'command.action.stop': 'stop',
  'command.action.setPosition': 'set position',

  'error.generic': 'Something went wrong: {message}',
  'error.NETWORK': 'Hestia cannot be reached. Check the connection and try again.',
  'error.HESTIA_BAD_CREDENTIALS': 'Provider, email or password is not right.',
  'error.HESTIA_LOGIN_LOCKED': 'Too many failed attempts. Try again in a while.',
  'error.HESTIA_TENANT_SUSPENDED': 'This provider is suspended.',
  'error.HESTIA_ACCOUNT_DISABLED': 'This account is disabled.',
  'error.HESTIA_UNAUTHENTICATED': 'Your session has ended. Please log in again.',
  'error.HESTIA_FORBIDDEN': 'You may not do this here.',
  'error.HESTIA_NOT_FOUND': 'Not found, or you have no access to it.',
  'error.HESTIA_RATE_LIMITED': 'Too many requests. Wait a moment and try again.',
  'error.HESTIA_GATEWAY_OFFLINE': "The device's gateway is offline. Try again when it is back.",
  'error.HESTIA_COMMAND_UNSUPPORTED': 'The device does not support this.',
  'error.HESTIA_DEVICE_REMOVED': 'The device was removed.',
  'error.HESTIA_ALARM_CLEARED': 'The alarm was cleared already.',
  'error.HESTIA_VALIDATION_FAILED': 'Please check the values: {message}',
} as const;

export type MessageKey = keyof typeof en;
type Catalogue = Record<MessageKey, string>;

const zh: Catalogue = {
  'app.name': 'Hestia',
  'app.skip': '跳到主要内容',
  'nav.label': '主导航',
  'nav.homes': '我的家',
  'header.home': '家庭',
  'header.language': '语言',
  'header.logout': '退出登录',
  'header.signedInAs': '当前账号 {email}',
  'live.connected': '实时',
  'live.connecting': '正在连接…',
  'live.offline': '已断开，正在重试',
  'live.label': '实时更新：{state}',

  'common.loading': '加载中…',
  'common.retry': '重试',
  'common.saving': '正在保存…',
  'common.close': '关闭',
  'common.never': '从未',
  'notFound.title': '页面不存在',
  'notFound.text': '此页面不存在，或您无权访问。',
  'notFound.back': '返回我的家',

  'login.title': '登录 Hestia',
  'login.provider': '服务商',
  'login.providerHint': '服务商的简称，例如 acme（平台管理员留空）',
  'login.email': '邮箱',
  'login.password': '密码',
  'login.submit': '登录',
  'login.submitting': '正在登录…',
  'login.expired': '登录已失效，请重新登录。',

  'homes.title': '我的家',
  'homes.empty': '您还不是任何家庭的成员。',
  'homes.role.owner': '户主',
  'homes.role.member': '成员',
  'homes.role.guest': '访客',
  'homes.role.staff': '服务商工作人员',

  'home.devices': '设备',
  'home.noRoom': '其他设备',
  'home.noDevices': '还没有设备。将网关注册到此家庭后，设备会显示在这里。',
  'home.openDevice': '{name} 的详情',
  'home.noReadings': '尚无数据',
  'home.lastKnown': '最后已知数值，{time}',
  'home.updated': '更新于 {time}',

  'availability.online': '在线',
  'availability.stale': '数据过期',
  'availability.unavailable': '不可用',

  'mode.label': '安防模式',
  'mode.disarmed': '撤防',
  'mode.home': '在家布防',
  'mode.armed': '外出布防',
  'mode.guest': '访客不能更改安防模式。',

  'alarms.title': '当前警报',
  'alarms.acknowledge': '确认',
  'alarms.acknowledged': '已确认',
  'alarms.raised': '发生于 {time}',
  'alarms.occurrences': '{count} 次',
  'alarms.cause.smoke': '烟雾',
  'alarms.cause.co': '一氧化碳',
  'alarms.cause.gas': '燃气',
  'alarms.cause.water_leak': '漏水',
  'alarms.cause.glass_break': '玻璃破碎',
  'alarms.cause.intrusion_motion': '入侵（移动）',
  'alarms.cause.intrusion_door': '入侵（门窗）',
  'alarms.cause.heat': '高温',
  'alarms.cause.freeze': '低温',
  'alarms.severity.critical': '严重',
  'alarms.severity.warning': '警告',
  'alarms.severity.info': '提示',

  'cap.temperature': '温度',
  'cap.humidity': '湿度',
  'cap.illuminance': '照度',
  'cap.energy': '电能',
  'cap.power': '功率',
  'cap.motion': '移动',
  'cap.contact': '门窗',
  'cap.water_leak': '漏水',
  'cap.smoke': '烟雾',
  'cap.co': '一氧化碳',
  'cap.gas': '燃气',
  'cap.glass_break': '玻璃破碎',
  'cap.battery': '电量',
  'cap.switch': '开关',
  'cap.dimmer': '调光',
  'cap.lock': '门锁',
  'cap.thermostat': '设定温度',
  'cap.curtain': '窗帘',

  'value.on': '开',
  'value.off': '关',
  'value.open': '打开',
  'value.closed': '关闭',
  'value.motion': '有移动',
  'value.clear': '无异常',
  'value.leak': '漏水',
  'value.dry': '干燥',
  'value.detected': '检测到',
  'value.locked': '已上锁',
  'value.unlocked': '未上锁',

  'device.back': '返回 {home}',
  'device.lastHeard': '最近上报 {time}',
  'device.current': '当前',
  'device.controls': '控制',
  'device.guest': '访客只能查看，不能控制设备。',
  'device.noControls': '此设备不能在这里控制。',
  'device.history': '历史',
  'device.channel': '通道',
  'device.noChannels': '此设备尚未上报任何数值。',
  'device.chart45': '最近 45 天',
  'device.chartHelp': '在图表上拖动可放大；双击或点击“重置缩放”可查看全部 45 天。',
  'device.resetZoom': '重置缩放',
  'device.mean': '平均值',
  'device.range': '最小值至最大值',
  'device.week': '最近 7 天日均值',
  'device.energyMonth': '本月每日用电',
  'device.energyYear': '今年每月用电',
  'device.total': '合计 {value}',
  'device.noData': '此期间没有数据。',
  'device.camera': '摄像头',

  'command.turnOn': '打开',
  'command.turnOff': '关闭',
  'command.set': '设置',
  'command.level': '亮度 (%)',
  'command.setpoint': '设定温度 (°C)',
  'command.lock': '上锁',
  'command.unlock': '解锁',
  'command.open': '打开',
  'command.close': '关闭',
  'command.stop': '停止',
  'command.position': '位置 (%)',
  'command.status': '最近指令：{action}，{status}',
  'command.status.pending': '等待网关',
  'command.status.sent': '已发送',
  'command.status.succeeded': '已完成',
  'command.status.failed': '失败',
  'command.status.timed_out': '超时未响应',
  'command.action.turnOn': '打开',
  'command.action.turnOff': '关闭',
  'command.action.toggle': '切换',
  'command.action.setLevel': '设置亮度',
  'command.action.setTemperature': '设置温度',
  'command.action.setMode': '设置模式',
  'command.action.lock': '上锁',
  'command.action.unlock': '解锁',
  'command.action.open': '打开',
  'command.action.close': '关闭',
  'command.action.stop': '停止',
  'command.action.setPosition': '设置位置',

  'error.generic': '出错了：{message}',
  'error.NETWORK': '无法连接 Hestia，请检查网络后重试。',
  'error.HESTIA_BAD_CREDENTIALS': '服务商、邮箱或密码不正确。',
  'error.HESTIA_LOGIN_LOCKED': '失败次数过多，请稍后再试。',
  'error.HESTIA_TENANT_SUSPENDED': '该服务商已被停用。',
  'error.HESTIA_ACCOUNT_DISABLED': '该账号已被停用。',
  'error.HESTIA_UNAUTHENTICATED': '登录已失效，请重新登录。',
  'error.HESTIA_FORBIDDEN': '您无权在此执行该操作。',
  'error.HESTIA_NOT_FOUND': '未找到，或您无权访问。',
  'error.HESTIA_RATE_LIMITED': '请求过于频繁，请稍候再试。',
  'error.HESTIA_GATEWAY_OFFLINE': '设备的网关已离线，请在其恢复后重试。',
  'error.HESTIA_COMMAND_UNSUPPORTED': '该设备不支持此操作。',
  'error.HESTIA_DEVICE_REMOVED': '该设备已被移除。',
  'error.HESTIA_ALARM_CLEARED': '该警报已被解除。',
  'error.HESTIA_VALIDATION_FAILED': '请检查输入：{message}',
};

export type Language = 'en' | 'zh';
export const LANGUAGES: ReadonlyArray<{ code: Language; name: string; locale: string }> = [
  { code: 'en', name: 'English', locale: 'en' },
  { code: 'zh', name: '中文', locale: 'zh-CN' },
];
const catalogues: Record<Language, Catalogue> = { en, zh };
const LANGUAGE_KEY = 'hestia.lang';

function initialLanguage(): Language {
  const saved = storage.read(LANGUAGE_KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  const preferred = globalThis.navigator?.languages ?? [globalThis.navigator?.language ?? 'en'];
  for (const tag of preferred) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('zh')) return 'zh';
    if (lower.startsWith('en')) return 'en';
  }
  return 'en';
}

/** The language in use: the browser's, until the person picks one (remembered). */
export const language = createStore<Language>(initialLanguage());

export function setLanguage(next: Language): void {
  storage.write(LANGUAGE_KEY, next);
  language.set(next);
}

export function localeOf(lang: Language): string {
  return LANGUAGES.find((l) => l.code === lang)?.locale ?? 'en';
}

function applyToDocument(lang: Language): void {
  if (typeof document !== 'undefined') document.documentElement.lang = localeOf(lang);
}
applyToDocument(language.get());
language.subscribe(applyToDocument);

export type Translate = (key: MessageKey, params?: Record<string, string | number>) => string;

export function translate(lang: Language, key: MessageKey, params?: Record<string, string | number>): string {
  const text = catalogues[lang][key] ?? en[key];
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) =>
    params[name] === undefined ? whole : String(params[name]),
  );
}

/** Whether a dynamic key (an alarm cause, a capability from the API) has a text. */
export function hasMessage(key: string): key is MessageKey {
  return Object.hasOwn(en, key);
}

export interface I18n {
  lang: Language;
  locale: string;
  t: Translate;
}

/** The current language and its `t`, re-rendering on a switch. */
export function useI18n(): I18n {
  const lang = useStore(language);
  return {
    lang,
    locale: localeOf(lang),
    t: (key, params) => translate(lang, key, params),
  };
}
