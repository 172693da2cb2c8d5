import datetime as dt
from store import load_vacancies
from matcher.batch.engine import BatchContext
from matcher.batch.runner import _seekers
from matcher.batch.runs import latest_run, read_table
from matcher.lookup import Lookup

def test_debug(batch_env):
    e = batch_env.engine
    lab, hh = _seekers(e, [])
    ctx = BatchContext(None, load_vacancies(e), dt.date.today())
    lk = Lookup(e)
    run = read_table(latest_run(), "candidates")
    for county in ['610424', '610425', '610426']:
        m = lab[lab.county_code == county]
        c = ctx.run_partition(county, m, hh, 10).candidates
        bad = 0
        for pid in m.laborer_id:
            a = c[c.laborer_id == pid][['vacancy_id', 'step']].values.tolist()
            b = run[run.laborer_id == pid][['vacancy_id', 'step']].values.tolist()
            s = [[r.vacancy_id, r.step] for r in lk.recommend([pid], k=10)[0].recommendations]
            if not (a == b == s):
                bad += 1
                if bad < 3:
                    print(county, pid, "\n fresh", a, "\n run  ", b, "\n single", s)
        print(county, "bad", bad, len(m))
    assert 0
