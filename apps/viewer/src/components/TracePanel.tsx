import { type PublicScene, schemas, type TraceRecord } from '@scenecast/contract';
import { ExternalLink } from './ExternalLink';
import './trace-panel.css';

interface Props {
  trace: TraceRecord[];
  scenes: PublicScene[];
  liveScenes: Set<string>;
  onWatch(sceneId: string): void;
}

/** Where a stage sorts: the usual stages in their order (farm → factory → studio), any other after them. */
const stageOrder = (stage: string) => {
  const index = (schemas.traceStage.options as readonly string[]).indexOf(stage);
  return index < 0 ? schemas.traceStage.options.length : index;
};

/**
 * The product's provenance, farm → factory → studio; a step filmed live can be watched in one tap. The
 * console shows this same component as its trace editor's preview (`@scenecast/viewer/trace-panel`).
 */
export function TracePanel({ trace, scenes, liveScenes, onWatch }: Props) {
  const steps = [...trace].sort(
    (a, b) =>
      stageOrder(a.stage) - stageOrder(b.stage) || String(a.time ?? '').localeCompare(String(b.time ?? '')),
  );
  return (
    <section className="trace" aria-label="Product trace">
      <h2>Trace this product</h2>
      <ol>
        {steps.map((step) => {
          const scene = scenes.find((s) => s.id === step.sceneId);
          return (
            <li key={step.id} className={`trace-step stage-${step.stage}`}>
              <div className="trace-head">
                <span className="trace-stage">{step.stage}</span>
                {step.time && <time dateTime={step.time}>{new Date(step.time).toLocaleString()}</time>}
              </div>
              {step.description && <p>{step.description}</p>}
              <dl>
                {step.batch && (
                  <>
                    <dt>Batch</dt>
                    <dd>{step.batch}</dd>
                  </>
                )}
                {step.place && (
                  <>
                    <dt>Place</dt>
                    <dd>{step.place}</dd>
                  </>
                )}
                {step.evidence?.name && (
                  <>
                    <dt>Evidence</dt>
                    <dd>
                      <ExternalLink href={step.evidence.url}>
                        {step.evidence.name} {step.evidence.number}
                      </ExternalLink>
                    </dd>
                  </>
                )}
              </dl>
              {scene && liveScenes.has(scene.id) && (
                <button
                  type="button"
                  className="watch-live"
                  data-watch={scene.id}
                  onClick={() => onWatch(scene.id)}
                >
                  ● Watch {scene.label} live
                </button>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}
