import type { FeedStatus, WhipSettings as Settings } from '@scenecast/contract';
import { useState } from 'react';
import type { ConsoleContext } from './ConsoleApp';

/** What an encoder should send: the engines forward H.264 and VP8 as sent, so these decide what viewers get. */
const recommended: Array<[string, string]> = [
  ['Keyframe interval', '1 s (at most 2 s): a viewer joining or switching scenes waits for the next one'],
  ['B-frames', 'none (x264: bframes=0; OBS’s WHIP output turns them off)'],
  ['Rate control', 'CBR'],
  ['Video', 'H.264, baseline profile'],
  ['Audio', 'Opus, 48 kHz (OBS picks it for WHIP)'],
];
const bitrates: Array<[string, string]> = [
  ['1280×720, 30 fps', '2.5 Mbps'],
  ['1920×1080, 30 fps', '4.5 Mbps'],
  ['2560×1440, 30 fps', '8 Mbps'],
  ['3840×2160, 30 fps', '14 Mbps'],
];

/** A feed of sourceKind whip: its OBS/encoder settings (server URL and stream key, shown once). */
export function WhipSettings({
  feed,
  context,
  onChanged,
}: {
  feed: FeedStatus;
  context: ConsoleContext;
  onChanged(): Promise<void>;
}) {
  const [settings, setSettings] = useState<Settings>();
  const create = () => context.client.whipSettings(feed.id).then(setSettings, context.fail);
  const revoke = () =>
    context.client.revokeWhip(feed.id).then(() => {
      setSettings(undefined);
      return onChanged();
    }, context.fail);
  return (
    <div className="whip-settings" data-testid="whip-settings">
      <div className="feed-actions">
        <button type="button" className="small" onClick={create}>
          {settings ? 'New stream key' : 'OBS / encoder settings'}
        </button>
        <button type="button" className="secondary small" onClick={revoke}>
          Revoke stream key and disconnect
        </button>
      </div>
      {settings && (
        <div className="whip-panel">
          <p>
            In OBS 30 or later: Settings → Stream → Service <strong>WHIP</strong>, then paste these. Any WHIP
            encoder takes the same two values.
          </p>
          <CopyField id={`whip-url-${feed.id}`} label="Server" value={settings.url} testId="whip-url" />
          <CopyField
            id={`whip-key-${feed.id}`}
            label="Bearer token (stream key)"
            value={settings.streamKey}
            testId="whip-key"
          />
          <p className="muted">
            The key is shown this once: copy it now. “New stream key” replaces it (the old one stops working);
            “Revoke” also disconnects the encoder using it.
          </p>
          <table className="whip-recommended">
            <caption>Recommended encoder settings</caption>
            <tbody>
              {recommended.map(([name, value]) => (
                <tr key={name}>
                  <th scope="row">{name}</th>
                  <td>{value}</td>
                </tr>
              ))}
              {bitrates.map(([resolution, bitrate]) => (
                <tr key={resolution}>
                  <th scope="row">Bitrate at {resolution}</th>
                  <td>{bitrate}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function CopyField({
  id,
  label,
  value,
  testId,
}: {
  id: string;
  label: string;
  value: string;
  testId: string;
}) {
  const [copied, setCopied] = useState(false);
  const copy = () =>
    navigator.clipboard.writeText(value).then(
      () => setCopied(true),
      () => setCopied(false),
    );
  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <input id={id} data-testid={testId} value={value} readOnly onFocus={(e) => e.target.select()} />
      <button type="button" className="secondary small" onClick={copy} aria-label={`Copy ${label}`}>
        {copied ? 'Copied' : 'Copy'}
      </button>
    </div>
  );
}
