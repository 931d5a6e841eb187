import { type endpoints, type RequestOf, type Show, schemas, type TraceRecord } from '@scenecast/contract';
import { TracePanel } from '@scenecast/viewer/trace-panel';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { errorsOf, type FieldErrors, fieldErrors } from '../api';
import type { ConsoleContext } from './ConsoleApp';
import { FieldError } from './fields';

type TraceBody = RequestOf<typeof endpoints.addTrace>;

interface Props {
  show: Show;
  context: ConsoleContext;
  onChanged(): Promise<void>;
}

/** The id of the form for a new record (a saved record's form goes by the record's id). */
const newRecord = 'new-trace';

/**
 * The product's trace, farm → factory → studio: every record edited in place, and a new one, beside the
 * viewer's own trace panel showing them as typed (its "Watch live" opens the viewer).
 */
export function TraceEditor({ show, context, onChanged, viewerLink }: Props & { viewerLink?: string }) {
  /** What each form holds now, by record id: the preview shows it before it is saved. */
  const [drafts, setDrafts] = useState<Record<string, TraceRecord | undefined>>({});
  const onDraft = useCallback(
    (id: string, draft: TraceRecord | undefined) => setDrafts((all) => ({ ...all, [id]: draft })),
    [],
  );
  const preview = [...show.trace.map((record) => drafts[record.id] ?? record), drafts[newRecord]].filter(
    (record): record is TraceRecord => !!record?.stage,
  );
  return (
    <section className="panel" aria-labelledby="trace-heading">
      <h2 id="trace-heading">Trace records</h2>
      <p className="muted">What viewers see in the show's trace panel: the preview follows your edits.</p>
      <datalist id="trace-stages">
        {schemas.traceStage.options.map((s) => (
          <option key={s} value={s} />
        ))}
      </datalist>
      <div className="trace-editor">
        <ol className="trace-records">
          {show.trace.map((record) => (
            <li key={record.id}>
              <TraceForm {...{ show, context, onChanged, onDraft }} record={record} />
            </li>
          ))}
          <li>
            <TraceForm key={show.trace.length} {...{ show, context, onChanged, onDraft }} />
          </li>
        </ol>
        <div className="trace-preview" data-testid="trace-preview">
          <TracePanel
            trace={preview}
            scenes={show.scenes}
            liveScenes={new Set(show.scenes.filter((s) => s.live).map((s) => s.id))}
            onWatch={() => viewerLink && window.open(viewerLink, '_blank', 'noopener')}
          />
        </div>
      </div>
    </section>
  );
}

/** A datetime-local input's value (local time, no zone) of an ISO time, and back. */
const toLocalInput = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  return new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};
const fromLocalInput = (value: string) => (value ? new Date(value).toISOString() : null);

/** What a trace form's fields say, as the record they would save (blank fields as null). */
function recordOf(fields: TraceFields): Omit<TraceRecord, 'id'> {
  const orNull = (v: string) => v.trim() || null;
  const hasEvidence = fields.evidenceName || fields.evidenceNumber || fields.evidenceUrl;
  return {
    stage: fields.stage,
    batch: orNull(fields.batch),
    place: orNull(fields.place),
    time: fromLocalInput(fields.time),
    description: orNull(fields.description),
    evidence: hasEvidence
      ? {
          name: orNull(fields.evidenceName),
          number: orNull(fields.evidenceNumber),
          url: orNull(fields.evidenceUrl),
        }
      : null,
    sceneId: orNull(fields.sceneId),
  };
}

/** A trace form's fields, as typed: a saved record's, or blank. */
const fieldsOf = (record?: TraceRecord) => ({
  stage: record?.stage ?? '',
  batch: record?.batch ?? '',
  place: record?.place ?? '',
  time: toLocalInput(record?.time ?? null),
  description: record?.description ?? '',
  evidenceName: record?.evidence?.name ?? '',
  evidenceNumber: record?.evidence?.number ?? '',
  evidenceUrl: record?.evidence?.url ?? '',
  sceneId: record?.sceneId ?? '',
});
type TraceFields = ReturnType<typeof fieldsOf>;

function TraceForm({
  show,
  context,
  onChanged,
  onDraft,
  record,
}: Props & { record?: TraceRecord; onDraft(id: string, draft: TraceRecord | undefined): void }) {
  const id = record?.id ?? newRecord;
  const [fields, setFields] = useState(() => fieldsOf(record));
  const [errors, setErrors] = useState<FieldErrors>({});
  const [saved, setSaved] = useState(false);
  const set = (name: keyof TraceFields) => (e: { target: { value: string } }) => {
    setFields({ ...fields, [name]: e.target.value });
    setSaved(false);
  };
  useEffect(() => onDraft(id, { id, ...recordOf(fields) }), [id, fields, onDraft]);

  const save = async (event: FormEvent) => {
    event.preventDefault();
    const body: TraceBody = recordOf(fields);
    // The contract's own schema, so the messages are the service's, before a round trip.
    const parsed = schemas.traceInput.safeParse(body);
    if (!parsed.success) return setErrors(fieldErrors(parsed.error.issues));
    try {
      if (record) await context.client.updateTrace(show.id, record.id, body);
      else await context.client.addTrace(show.id, body);
      setErrors({});
      setSaved(true);
      await onChanged();
    } catch (error) {
      setErrors(errorsOf(error));
    }
  };
  const remove = () => context.client.deleteTrace(show.id, record!.id).then(onChanged, context.fail);

  const input = (name: keyof typeof fields, label: string, path: string, type = 'text') => (
    <div className={`field field-${name}`}>
      <label htmlFor={`${id}-${name}`}>{label}</label>
      <input
        id={`${id}-${name}`}
        type={type}
        value={fields[name]}
        onChange={set(name)}
        list={name === 'stage' ? 'trace-stages' : undefined}
        aria-invalid={!!errors[path]}
        aria-describedby={errors[path] ? `${id}-${name}-error` : undefined}
      />
      <FieldError id={`${id}-${name}`} errors={errors} path={path} />
    </div>
  );

  return (
    <form className="trace-form" data-testid="trace-record" onSubmit={save} noValidate>
      <h3>{record ? `${record.stage}${record.batch ? ` · ${record.batch}` : ''}` : 'New record'}</h3>
      <div className="grid">
        {input('stage', 'Stage', 'stage')}
        {input('batch', 'Batch', 'batch')}
        {input('place', 'Place', 'place')}
        {input('time', 'Time', 'time', 'datetime-local')}
        <div className="field field-scene">
          <label htmlFor={`${id}-scene`}>Filmed in scene</label>
          <select id={`${id}-scene`} value={fields.sceneId} onChange={set('sceneId')}>
            <option value="">none</option>
            {show.scenes.map((s) => (
              <option key={s.id} value={s.id}>
                {s.label}
              </option>
            ))}
          </select>
          <FieldError id={`${id}-scene`} errors={errors} path="sceneId" />
        </div>
        <div className="field field-description">
          <label htmlFor={`${id}-description`}>Description</label>
          <textarea
            id={`${id}-description`}
            rows={2}
            value={fields.description}
            onChange={set('description')}
          />
          <FieldError id={`${id}-description`} errors={errors} path="description" />
        </div>
        {input('evidenceName', 'Evidence', 'evidence.name')}
        {input('evidenceNumber', 'Evidence number', 'evidence.number')}
        {input('evidenceUrl', 'Evidence link', 'evidence.url', 'url')}
      </div>
      <div className="actions">
        <button type="submit">{record ? 'Save' : 'Add record'}</button>
        {saved && <span className="muted">Saved</span>}
        {record && (
          <button type="button" className="secondary danger" onClick={remove}>
            Remove
          </button>
        )}
        <FieldError id={`${id}-form`} errors={errors} path="" />
      </div>
    </form>
  );
}
