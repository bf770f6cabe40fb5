/** Tariffs: what a provider sells a home (retention, limits, recording modes). */

/** How a camera records; a tariff names the modes its homes may use. */
export type RecordingMode = 'off' | 'motion' | 'continuous';

export const RECORDING_MODES: readonly RecordingMode[] = ['off', 'motion', 'continuous'];

/**
 * What a service provider sells a home: how long its data is kept and how much it may connect.
 * Each tenant has several, exactly one of them its default (for homes without a tariff).
 */
export interface Tariff {
  id: string;
  tenantId: string;
  name: string;
  /** Hourly and daily rollups of sensor series are kept this long. */
  sensorRetentionDays: number;
  /** Camera recordings and previews are kept this long. */
  videoRetentionDays: number;
  /** Raw readings are kept this long (at least MIN_RAW_RETENTION_DAYS, what the home panel shows). */
  rawRetentionDays: number;
  recordingModes: RecordingMode[];
  maxGatewaysPerHome: number;
  maxCamerasPerHome: number;
  isDefault: boolean;
  createdAtMs: number;
  updatedAtMs: number;
}

/** The retention horizons of one registered gateway's data, from its home's tariff. */
export interface GatewayRetentionPolicy {
  gatewayId: string;
  tenantId: string;
  homeId: string;
  rawRetentionDays: number;
  sensorRetentionDays: number;
  videoRetentionDays: number;
}

/**
 * The seed's tariffs (002): video 7 / 14 / 30 days, sensor history 3 / 5 / 7 years; cameras per
 * home for 3 per gateway, as in the seed's fleet (controllers with 3 cameras and 5 sensors).
 */
export const DEFAULT_TARIFFS = [
  {
    key: 'basic',
    name: 'Basic',
    sensorRetentionDays: 3 * 365,
    videoRetentionDays: 7,
    rawRetentionDays: 45,
    recordingModes: ['off', 'motion'],
    maxGatewaysPerHome: 2,
    maxCamerasPerHome: 6,
    isDefault: true,
  },
  {
    key: 'standard',
    name: 'Standard',
    sensorRetentionDays: 5 * 365,
    videoRetentionDays: 14,
    rawRetentionDays: 45,
    recordingModes: ['off', 'motion', 'continuous'],
    maxGatewaysPerHome: 3,
    maxCamerasPerHome: 9,
    isDefault: false,
  },
  {
    key: 'premium',
    name: 'Premium',
    sensorRetentionDays: 7 * 365,
    videoRetentionDays: 30,
    rawRetentionDays: 90,
    recordingModes: ['off', 'motion', 'continuous'],
    maxGatewaysPerHome: 5,
    maxCamerasPerHome: 15,
    isDefault: false,
  },
] as const;

/** The shortest raw-history window a tariff may have: the home panel shows 45 days (seed 000). */
export const MIN_RAW_RETENTION_DAYS = 45;

/** What an admin may change on a tariff; whether it is the default changes by `setDefaultTariff`. */
export type TariffPatch = Partial<
  Pick<
    Tariff,
    | 'name'
    | 'sensorRetentionDays'
    | 'videoRetentionDays'
    | 'rawRetentionDays'
    | 'recordingModes'
    | 'maxGatewaysPerHome'
    | 'maxCamerasPerHome'
  >
>;

/** How a registration within the home's tariff ended. */
export type TariffRegistration =
  { outcome: 'registered' } | { outcome: 'taken' } | { outcome: 'limit'; tariff: Tariff; registered: number };
