import { useId } from 'react';
import { useTranslation } from 'react-i18next';
import { formatRate, niceCeiling } from '../format.js';
import { useLanguage } from '../i18n.js';
import { lastMinute, WINDOW_SECONDS, type Throughput } from '../state/throughput.js';

const W = 600;
const H = 120;

function points(values: readonly number[], max: number): string {
  const step = W / (WINDOW_SECONDS - 1);
  return values.map((v, i) => `${(i * step).toFixed(1)},${(H - (v / max) * H).toFixed(1)}`).join(' ');
}

/**
 * The last 60 seconds of throughput, drawn as SVG: received as a solid line over a light area,
 * sent as a dashed line (the two differ by stroke pattern, not only colour).
 */
export function ThroughputGraph({ buffer, now, rateIn, rateOut }: { buffer: Throughput; now: number; rateIn: number; rateOut: number }) {
  const { t } = useTranslation();
  const lang = useLanguage();
  const id = useId();
  const series = lastMinute(buffer, now);
  const max = niceCeiling(Math.max(...series.rateIn, ...series.rateOut));
  const inLine = points(series.rateIn, max);
  const outLine = points(series.rateOut, max);
  const summary = t('graph.summary', { received: formatRate(rateIn, lang), sent: formatRate(rateOut, lang) });
  return (
    // The plotted rates (B/s, oldest first) as data: tests and bench:ui compare them with known traffic.
    <figure className="graph" aria-labelledby={`${id}-caption`} data-rates-in={series.rateIn.map(Math.round).join(' ')} data-rates-out={series.rateOut.map(Math.round).join(' ')}>
      <figcaption id={`${id}-caption`} className="graph-caption">{t('graph.title')}</figcaption>
      <div className="graph-body">
        <div className="graph-scale" aria-hidden="true">
          <span>{formatRate(max, lang)}</span>
          <span>{formatRate(max / 2, lang)}</span>
          <span>0</span>
        </div>
        <svg className="graph-plot" viewBox={`0 0 ${W} ${H}`} preserveAspectRatio="none" role="img" aria-label={summary}>
          <line className="grid" x1="0" y1={H / 2} x2={W} y2={H / 2} vectorEffect="non-scaling-stroke" />
          <line className="grid" x1="0" y1="0.5" x2={W} y2="0.5" vectorEffect="non-scaling-stroke" />
          <polygon className="area-in" points={`0,${H} ${inLine} ${W},${H}`} />
          <polyline className="line-in" points={inLine} vectorEffect="non-scaling-stroke" />
          <polyline className="line-out" points={outLine} vectorEffect="non-scaling-stroke" />
        </svg>
      </div>
      <div className="graph-axis" aria-hidden="true">
        <span>{t('graph.secondsAgo', { seconds: WINDOW_SECONDS })}</span>
        <span>{t('graph.now')}</span>
      </div>
      <ul className="graph-legend">
        <li>
          <svg className="legend-swatch" viewBox="0 0 24 8" aria-hidden="true"><line className="line-in" x1="0" y1="4" x2="24" y2="4" /></svg>
          {t('graph.received')} <strong>{formatRate(rateIn, lang)}</strong>
        </li>
        <li>
          <svg className="legend-swatch" viewBox="0 0 24 8" aria-hidden="true"><line className="line-out" x1="0" y1="4" x2="24" y2="4" /></svg>
          {t('graph.sent')} <strong>{formatRate(rateOut, lang)}</strong>
        </li>
      </ul>
    </figure>
  );
}
