import type { Channel, Device } from '../api.ts';
import { channelName, formatChannelValue, formatDateTime, rawValue } from '../format.ts';
import { useI18n, type Translate } from '../i18n.ts';
import { deviceName } from '../model.ts';
import { AvailabilityBadge } from './status.tsx';

/** Channel names, falling back to the gateway's label where two share a capability. */
function channelNames(channels: Channel[], t: Translate): string[] {
  const names = channels.map((channel) => channelName(channel, t));
  return names.map((name, i) =>
    names.indexOf(name) !== names.lastIndexOf(name) ? channels[i]!.label : name,
  );
}

/** One channel's current value: the formatted text, and the raw value for machines. */
export function ChannelValue({ device, channel, name }: { device: Device; channel: Channel; name: string }) {
  const { t, locale } = useI18n();
  const stale = channel.current === false;
  const when = formatDateTime(channel.tsMs, locale);
  return (
    <div class={`channel${stale ? ' channel-stale' : ''}`}>
      <dt>{name}</dt>
      <dd
        data-testid={`value-${device.id}-${channel.label}`}
        data-value={rawValue(channel)}
        title={stale ? t('home.lastKnown', { time: when }) : t('home.updated', { time: when })}
      >
        {formatChannelValue(channel, t, locale)}
      </dd>
    </div>
  );
}

export function ChannelList({ device }: { device: Device }) {
  const { t } = useI18n();
  if (device.channels.length === 0) return <p class="muted small">{t('home.noReadings')}</p>;
  const names = channelNames(device.channels, t);
  return (
    <dl class="channels">
      {device.channels.map((channel, i) => (
        <ChannelValue key={channel.label} device={device} channel={channel} name={names[i]!} />
      ))}
    </dl>
  );
}

/** A device on the home panel: name (to its page), presence, and every channel's value. */
export function DeviceCard({ device }: { device: Device }) {
  const { t } = useI18n();
  const availability = device.availability ?? 'online';
  const name = deviceName(device);
  return (
    <article
      class={`card device-card device-${availability}`}
      data-testid={`device-${device.id}`}
      data-availability={availability}
    >
      <header class="device-card-head">
        <h3>
          <a href={`/devices/${encodeURIComponent(device.id)}`} aria-label={t('home.openDevice', { name })}>
            {name}
          </a>
        </h3>
        <AvailabilityBadge availability={availability} />
      </header>
      <ChannelList device={device} />
    </article>
  );
}
