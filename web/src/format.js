// Number and time formatting. Times arrive as UTC ISO strings; they are shown in the city's zone.

const cache = new Map();

function formatter(timeZone, options) {
  const key = timeZone + JSON.stringify(options);
  if (!cache.has(key)) cache.set(key, new Intl.DateTimeFormat('en-GB', { timeZone, hourCycle: 'h23', ...options }));
  return cache.get(key);
}

export function clock(value, timeZone) {
  return formatter(timeZone, { hour: '2-digit', minute: '2-digit', second: '2-digit' }).format(new Date(value));
}

export function hourMinute(value, timeZone) {
  return formatter(timeZone, { hour: '2-digit', minute: '2-digit' }).format(new Date(value));
}

export function dateTime(value, timeZone) {
  return formatter(timeZone, {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).format(new Date(value));
}

const numberFormats = new Map(); // toLocaleString would build a formatter on every call

export function number(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return '–';
  if (!numberFormats.has(digits)) {
    numberFormats.set(digits, new Intl.NumberFormat('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits }));
  }
  return numberFormats.get(digits).format(Number(value));
}

export function percent(ratio) {
  return ratio === null || ratio === undefined ? '–' : `${Math.round(ratio * 100)} %`;
}

export function epochMs() {
  return performance.timeOrigin + performance.now();
}
