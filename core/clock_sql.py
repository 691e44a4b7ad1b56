"""SQL for the database clock: one function gives "now"; outside production a test offset shifts it."""

CREATE_CLOCK = """
create table core_clock (
    id integer primary key check (id = 1),
    mode text not null default 'development' check (mode in ('development', 'test', 'production')),
    clock_offset interval not null default interval '0'
);
insert into core_clock (id) values (1);

create or replace function sunbid_now() returns timestamptz
language sql stable as $$
    select clock_timestamp() + case when c.mode = 'production' then interval '0' else c.clock_offset end
    from core_clock c where c.id = 1
$$;

create or replace function sunbid_set_clock_offset(new_offset interval) returns void
language plpgsql as $$
begin
    if (select mode from core_clock where id = 1) = 'production' then
        raise exception 'the database clock cannot be shifted in production mode'
            using errcode = 'P0001';
    end if;
    update core_clock set clock_offset = new_offset where id = 1;
end
$$;

create or replace function sunbid_set_clock_mode(new_mode text) returns void
language plpgsql as $$
begin
    update core_clock
       set mode = new_mode,
           clock_offset = case when new_mode = 'production' then interval '0' else clock_offset end
     where id = 1;
end
$$;
"""

DROP_CLOCK = """
drop function if exists sunbid_set_clock_mode(text);
drop function if exists sunbid_set_clock_offset(interval);
drop function if exists sunbid_now();
drop table if exists core_clock;
"""
